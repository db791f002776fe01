import Foundation
import GRDB
import KoblingCore

/// What an `Idempotency-Key` finds when a create arrives.
public enum IdempotencyClaim: Sendable, Equatable {
    /// The key is new and now held by this request.
    case claimed
    /// The key was used for the same request, which answered this.
    case replay(status: Int, headers: [String: String], body: Data)
    /// The key was used for a different request.
    case mismatch
    /// The first request with this key has not answered yet.
    case inProgress
}

extension AppDatabase {
    /// Keys are kept a day: long enough for any client's retries.
    static let idempotencyLifetime: TimeInterval = 24 * 3600

    public func claimIdempotencyKey(scope: String, key: String, requestHash: String) async throws -> IdempotencyClaim {
        let now = clock.now()
        return try await write { db in
            try db.execute(
                sql: "DELETE FROM idempotencyKey WHERE createdAt < ?",
                arguments: [Timestamp.string(now - Self.idempotencyLifetime)])
            if let row = try Row.fetchOne(
                db, sql: "SELECT requestHash, status, headers, body FROM idempotencyKey WHERE scope = ? AND key = ?",
                arguments: [scope, key])
            {
                guard row["requestHash"] as String == requestHash else { return .mismatch }
                guard let status = row["status"] as Int? else { return .inProgress }
                let headers: [String: String] = JSONText.decode(row["headers"] as String? ?? "{}") ?? [:]
                return .replay(status: status, headers: headers, body: row["body"] as Data? ?? Data())
            }
            try db.execute(
                sql: "INSERT INTO idempotencyKey (scope, key, requestHash, createdAt) VALUES (?, ?, ?, ?)",
                arguments: [scope, key, requestHash, Timestamp.string(now)])
            return .claimed
        }
    }

    /// Records the answer a claimed key gave, for replays.
    public func completeIdempotencyKey(scope: String, key: String, status: Int, headers: [String: String], body: Data) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE idempotencyKey SET status = ?, headers = ?, body = ? WHERE scope = ? AND key = ?",
                arguments: [status, JSONText.encode(headers), body, scope, key])
        }
    }

    /// Frees a claimed key whose request failed, so that a retry runs again.
    public func releaseIdempotencyKey(scope: String, key: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM idempotencyKey WHERE scope = ? AND key = ? AND status IS NULL", arguments: [scope, key])
        }
    }
}
