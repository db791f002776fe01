import Foundation
import GRDB
import KoblingCore

/// A pitch as stored: its JSON document holds every field, the columns what lists filter and
/// sort on.
struct PitchRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "pitch"
    var id: String
    var title: String
    var sortKey: String
    var language: String
    var status: String
    var visibility: String
    var authorId: String
    var organisationId: String?
    var createdAt: String
    var updatedAt: String
    var version: Int
    /// 1 while the pitch is approved or matched: what lists show to members and visitors.
    var listed: Int
    /// The kind of round it enters (`RoundKind`): pitches, or a startup's mentoring request.
    var kind: String
    var document: String

    init(_ pitch: Pitch) {
        id = pitch.id
        title = pitch.title
        sortKey = SearchText.sortKey(pitch.title)
        language = pitch.language.rawValue
        status = pitch.status.rawValue
        visibility = pitch.visibility.rawValue
        authorId = pitch.authorId
        organisationId = pitch.organisationId
        createdAt = pitch.createdAt
        updatedAt = pitch.updatedAt
        version = pitch.version
        listed = pitch.status.isListed && pitch.kind == .pitches ? 1 : 0
        kind = pitch.kind.rawValue
        document = JSONDocument.render(pitch)
    }

    /// The pitch its document tells, with the version of the row.
    func pitch() throws -> Pitch {
        var pitch = try JSONDecoder().decode(Pitch.self, from: Data(document.utf8))
        pitch.version = version
        pitch.kind = RoundKind(rawValue: kind) ?? .pitches
        return pitch
    }
}
