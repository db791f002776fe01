import Foundation
import GRDB
import KoblingCore

/// Kobling's database: one SQLite file in WAL mode behind intent-level methods. The rest of the
/// system never sees SQL.
///
/// Every async method reaches SQLite through `read` or `write`, which run the statements on
/// threads of the database's own (`WorkerPool`), never on the caller's: GRDB's synchronous calls
/// wait for a connection, and a cooperative thread that waits for one can hold up the very task
/// that would give it back. Reads run on as many threads as there are read connections, writes on
/// one (SQLite has one writer), each with a bounded queue and a deadline, past which a caller
/// gets `KoblingError.busy`. The few synchronous methods are for the outbox's own threads and are
/// unavailable from async code.
public struct AppDatabase: Sendable {
    /// How the database is reached: connections, and how long and how many callers may wait.
    public struct Access: Sendable, Equatable {
        /// Read connections, and threads that read. Reads are mostly CPU (the file is in the page
        /// cache), so a thread a core does best: four on two cores answered the directory 13%
        /// slower than two, from switching between threads.
        public var readers: Int
        /// Callers that may wait for a reader, and for the writer.
        public var queueLimit: Int
        /// The longest a caller waits for a connection before it is answered 503.
        public var maxWait: Duration

        public init(
            readers: Int = max(2, ProcessInfo.processInfo.activeProcessorCount), queueLimit: Int = 1000, maxWait: Duration = .seconds(5)
        ) {
            self.readers = max(1, readers)
            self.queueLimit = queueLimit
            self.maxWait = maxWait
        }
    }

    /// How busy the database's connections are, for metrics.
    public struct Load: Sendable {
        public var reads: WorkerPool.Load
        public var writes: WorkerPool.Load
        /// Operations that failed on each storage fault since the database opened.
        public var storageFaults: [StorageFault: Int]
    }

    let writer: any DatabaseWriter
    let checkpointer: Checkpointer
    public let clock: Clock
    let ids: IDGenerator
    /// Messages the server took whose rows may not say so yet (see `DeliveryJournal`).
    let journal: DeliveryJournal
    /// Storage faults met so far; every read and write passes through `faults.translating`.
    let faults = StorageFaultCounts()
    private let reads: WorkerPool
    private let writes: WorkerPool

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public static func open(
        path: String, clock: Clock = .system, ids: IDGenerator = .random, access: Access = Access()
    ) throws -> AppDatabase {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // One connection a read thread, and two more for the outbox's threads (composing a
        // newsletter reads its issue) and backups, so that the read threads never wait for one.
        configuration.maximumReaderCount = access.readers + 2
        // The log is checkpointed off the write path (`Checkpointer`), so that no commit waits
        // for the copy of a large one.
        let checkpointer = Checkpointer(path: path)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            checkpointer.watch(db)
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try AppDatabase(
            writer: pool, checkpointer: checkpointer, journal: DeliveryJournal(path: path + "-deliveries"), clock: clock, ids: ids, access: access)
    }

    init(writer: any DatabaseWriter, checkpointer: Checkpointer, journal: DeliveryJournal, clock: Clock, ids: IDGenerator, access: Access) throws {
        self.writer = writer
        self.checkpointer = checkpointer
        self.journal = journal
        self.clock = clock
        self.ids = ids
        reads = WorkerPool(name: "kobling.db.read", limits: .init(threads: access.readers, queueLimit: access.queueLimit, maxWait: access.maxWait))
        writes = WorkerPool(name: "kobling.db.write", limits: .init(threads: 1, queueLimit: access.queueLimit, maxWait: access.maxWait))
        try Self.migrator.migrate(writer)
        try writer.write { db in try self.renderMissingDocuments(db) }
    }

    public var load: Load { Load(reads: reads.load, writes: writes.load, storageFaults: faults.current) }

    /// Runs `body` in a read transaction on a read thread.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let (writer, faults) = (self.writer, self.faults)
        return try await reads.run { try faults.translating { try writer.read(body) } }
    }

    /// Runs `body` on a read thread outside a transaction: for one statement, which is consistent
    /// on its own, and saves the BEGIN and COMMIT.
    func readStatement<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let (writer, faults) = (self.writer, self.faults)
        return try await reads.run { try faults.translating { try writer.unsafeRead(body) } }
    }

    /// Runs `body` in a write transaction on the write thread.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let (writer, faults) = (self.writer, self.faults)
        return try await writes.run { try faults.translating { try writer.write(body) } }
    }

    /// Runs `body` on the write thread with no transaction around it (for work that is not SQL
    /// but must not overlap a write, such as the delivery journal's file).
    func onWriteThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let faults = self.faults
        return try await writes.run { try faults.translating(body) }
    }

    var now: String { Timestamp.string(clock.now()) }

    /// The database answers and every migration this build knows has been applied.
    public func isReady() async -> Bool {
        do {
            return try await read { db in
                try Self.migrator.hasCompletedMigrations(db)
            }
        } catch {
            return false
        }
    }

    /// The migrations this database has applied, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await read { db in try Self.migrator.appliedIdentifiers(db).sorted() }
    }

    /// A consistent copy of the live database, taken with SQLite's online backup while the server
    /// keeps serving, with a copy of the delivery journal beside it (`PATH-deliveries`).
    public func backup(to path: String) async throws {
        let (writer, journal, faults) = (self.writer, self.journal, self.faults)
        try await reads.run {
            guard !FileManager.default.fileExists(atPath: path) else {
                throw KoblingError.conflict("\(path) exists already; choose a new file.")
            }
            try faults.translating {
                let destination = try DatabaseQueue(path: path)
                try writer.backup(to: destination)
                try destination.close()
                // The delivery journal goes with the copy, read after it: messages the server took
                // whose rows still said "sending" in the copy count as sent when it is restored,
                // rather than going out again.
                let taken = try journal.entries()
                guard !taken.isEmpty else { return }
                let copy = try DeliveryJournal(path: path + "-deliveries")
                for entry in taken { try copy.append(entry) }
            }
        }
    }
}
