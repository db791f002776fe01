import Foundation
import GRDB

struct OutboxRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "outbox"
    var id: String
    var kind: String
    var dedupeKey: String?
    var recipient: String
    var message: Data
    var status: String
    var attempts: Int
    var notBefore: String
    var lastError: String?
    var messageId: String?
    var reply: String?
    var createdAt: String
    var updatedAt: String
    var sentAt: String?
    var issueId: String?
    var subscriberId: String?
    var claimedBy: String?
    var claimedAt: String?
    var leaseUntil: String?

    enum Columns {
        static let status = Column(CodingKeys.status)
        static let notBefore = Column(CodingKeys.notBefore)
        static let createdAt = Column(CodingKeys.createdAt)
        static let id = Column(CodingKeys.id)
    }
}
