import GRDB
import KoblingCore

/// A conflict of interest a person declared: a pitch, or an organisation (every pitch of it).
/// Every round reads them: the person is never matched to what they named.
public struct ConflictOfInterest: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case pitch, organisation
    }

    public var target: String
    public var kind: Kind
    public var createdAt: String
}

extension AppDatabase {
    public func conflicts(personId: String) async throws -> [ConflictOfInterest] {
        try await read { db in
            guard try PersonRecord.exists(db, key: personId) else { throw KoblingError.notFound("No such person.") }
            return try Row.fetchAll(db, sql: """
                SELECT c.target, c.createdAt, EXISTS (SELECT 1 FROM pitch p WHERE p.id = c.target) AS isPitch
                FROM conflictOfInterest c WHERE c.personId = ? ORDER BY c.target
                """, arguments: [personId]).map { row in
                ConflictOfInterest(target: row["target"], kind: (row["isPitch"] as Bool) ? .pitch : .organisation, createdAt: row["createdAt"])
            }
        }
    }

    /// Declares (`declared`) or withdraws a conflict with a pitch or an organisation; naming
    /// neither is a 422.
    public func setConflict(personId: String, target: String, declared: Bool) async throws {
        let now = self.now
        try await write { db in
            guard try PersonRecord.exists(db, key: personId) else { throw KoblingError.notFound("No such person.") }
            guard declared else {
                try db.execute(sql: "DELETE FROM conflictOfInterest WHERE personId = ? AND target = ?", arguments: [personId, target])
                return
            }
            guard try PitchRecord.exists(db, key: target) || OrganisationRecord.exists(db, key: target) else {
                throw KoblingError.invalid("/target", "No pitch or organisation has the id \(target).")
            }
            try db.execute(sql: """
                INSERT INTO conflictOfInterest (personId, target, createdAt) VALUES (?, ?, ?) ON CONFLICT (personId, target) DO NOTHING
                """, arguments: [personId, target, now])
        }
    }
}
