import Foundation
import GRDB
import KoblingCore

/// Hourly limits on requests that cost the hub something or could be abused (a confirmation
/// email, an account), per address and per client. Each attempt is a row, counted and written in
/// one transaction, so that requests sent at once are counted together and a restart (or another
/// instance) forgets nothing.
extension AppDatabase {
    /// Counts one attempt against each limit, or throws 429 (counting nothing) when any is reached.
    public func takeAttempts(_ limits: [(key: String, perHour: Int)], refusal: String) async throws {
        let now = clock.now()
        try await write { db in try takeAttempts(limits, refusal: refusal, now: now, db) }
    }

    func takeAttempts(_ limits: [(key: String, perHour: Int)], refusal: String, now: Date, _ db: Database) throws {
        let hourAgo = Timestamp.string(now - 3600)
        for limit in limits {
            let recent = try String.fetchAll(
                db, sql: "SELECT createdAt FROM attempt WHERE key = ? AND createdAt > ? ORDER BY createdAt",
                arguments: [limit.key, hourAgo]).compactMap(Timestamp.parse)
            if let wait = SlidingWindow.wait(after: recent, limit: limit.perHour, window: 3600, now: now) {
                throw KoblingError.tooManyRequests(retryAfterSeconds: wait, "\(refusal); try again in \(Self.describe(seconds: wait)).")
            }
        }
        let stamp = Timestamp.string(now)
        for limit in limits {
            try db.execute(sql: "INSERT INTO attempt (key, createdAt) VALUES (?, ?)", arguments: [limit.key, stamp])
        }
        try db.execute(sql: "DELETE FROM attempt WHERE createdAt < ?", arguments: [Timestamp.string(now - 86400)])
    }

    private static func describe(seconds: Int) -> String {
        seconds < 120 ? "\(seconds) seconds" : "\((seconds + 59) / 60) minutes"
    }
}
