import Foundation
import GRDB
import KoblingCore

/// Bounces and the suppression they lead to. A hard bounce (the server refused the address with a
/// 5xx) suppresses the address at once; soft bounces (4xx replies to the address, such as a full
/// mailbox) suppress it when `softBounceLimit` messages soft-bounced within `softBounceWindow`. A
/// suppressed address gets no mail but what a person asks for themself, and its confirmed
/// subscriptions become "suppressed", until it confirms a subscription again.
extension AppDatabase {
    public static let softBounceLimit = 3
    public static let softBounceWindow: TimeInterval = 30 * 24 * 3600

    /// Records that the message `outboxId` to `email` bounced; counted once per message and kind.
    /// Answers whether the address is suppressed now. Blocking: for the outbox's sending thread.
    @available(*, noasync, message: "blocks its thread; use the async recordBounce")
    @discardableResult
    public func recordBounce(email: String, hard: Bool, outboxId: String, detail: String) throws -> Bool {
        let now = clock.now()
        return try writer.write { db in try recordBounce(email: email, hard: hard, outboxId: outboxId, detail: detail, now: now, db) }
    }

    @discardableResult
    public func recordBounce(email: String, hard: Bool, outboxId: String, detail: String) async throws -> Bool {
        let now = clock.now()
        return try await write { db in try recordBounce(email: email, hard: hard, outboxId: outboxId, detail: detail, now: now, db) }
    }

    private func recordBounce(email: String, hard: Bool, outboxId: String, detail: String, now: Date, _ db: Database) throws -> Bool {
        let stamp = Timestamp.string(now)
        try db.execute(
            sql: "INSERT OR IGNORE INTO bounce (id, email, kind, outboxId, detail, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [ids.next("bnc"), email, hard ? "hard" : "soft", outboxId, detail, stamp])
        let reason: String
        if hard {
            reason = "hard bounce: \(detail)"
        } else {
            let count = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM bounce WHERE email = ? AND kind = 'soft' AND createdAt > ?",
                arguments: [email, Timestamp.string(now - Self.softBounceWindow)]) ?? 0
            guard count >= Self.softBounceLimit else { return false }
            reason = "\(count) soft bounces in 30 days; the last: \(detail)"
        }
        try db.execute(sql: "INSERT OR IGNORE INTO suppression (email, reason, createdAt) VALUES (?, ?, ?)", arguments: [email, reason, stamp])
        try db.execute(
            sql: "UPDATE subscriber SET status = 'suppressed', updatedAt = ? WHERE email = ? AND status = 'confirmed'",
            arguments: [stamp, email])
        return true
    }

    /// Why an address is suppressed, or nil when it is not.
    public func suppression(of email: String) async throws -> String? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT reason FROM suppression WHERE email = ?", arguments: [email])
        }
    }

    /// Ends a suppression (the address confirmed a subscription again): its bounces start afresh.
    func liftSuppression(of email: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM suppression WHERE email = ?", arguments: [email])
        try db.execute(sql: "DELETE FROM bounce WHERE email = ?", arguments: [email])
    }
}
