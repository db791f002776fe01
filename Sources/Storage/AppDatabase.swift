import Foundation
import GRDB
import KoblingCore

/// Kobling's database: one SQLite file in WAL mode behind intent-level methods. The rest of the
/// system never sees SQL.
public struct AppDatabase: Sendable {
    let writer: any DatabaseWriter
    let clock: Clock
    let ids: IDGenerator
    /// Messages the server took whose rows may not say so yet (see `DeliveryJournal`).
    let journal: DeliveryJournal

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public static func open(path: String, clock: Clock = .system, ids: IDGenerator = .random) throws -> AppDatabase {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try AppDatabase(writer: pool, journal: DeliveryJournal(path: path + "-deliveries"), clock: clock, ids: ids)
    }

    init(writer: any DatabaseWriter, journal: DeliveryJournal, clock: Clock, ids: IDGenerator) throws {
        self.writer = writer
        self.journal = journal
        self.clock = clock
        self.ids = ids
        try Self.migrator.migrate(writer)
    }

    var now: String { Timestamp.string(clock.now()) }

    /// The database answers and every migration this build knows has been applied.
    public func isReady() async -> Bool {
        do {
            return try await writer.read { db in
                try Self.migrator.hasCompletedMigrations(db)
            }
        } catch {
            return false
        }
    }

    /// The migrations this database has applied, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await writer.read { db in try Self.migrator.appliedIdentifiers(db).sorted() }
    }

    /// A consistent copy of the live database, taken with SQLite's online backup while the server
    /// keeps serving.
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw KoblingError.conflict("\(path) exists already; choose a new file.")
        }
        let destination = try DatabaseQueue(path: path)
        try writer.backup(to: destination)
        try destination.close()
    }
}
