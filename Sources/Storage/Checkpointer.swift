import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the write-ahead log back into the database off the write path.
///
/// SQLite checkpoints in the commit that takes the log past 1,000 pages, on the writer's
/// connection: the write that commits a national round's report (tens of megabytes) would also
/// copy the log into the database and wait for the disk, and every write queued behind it would
/// wait too. Instead the writer's commits report the log's length here (`watch` replaces SQLite's
/// automatic checkpoint with this hook), and past the same 1,000 pages a connection of its own,
/// on a queue of its own, runs a passive checkpoint: it waits for no reader and no writer, copies
/// what no reader still needs, and the next write starts the log over. At most one is queued at
/// a time; a commit that finds one queued adds nothing.
final class Checkpointer: Sendable {
    /// The log's length, in pages, past which a checkpoint is queued (SQLite's own default).
    static let threshold: Int32 = 1000

    private let path: String
    private let queue = DispatchQueue(label: "kobling.db.checkpoint")
    private let state = Mutex(State())

    private struct State {
        var queued = false
        /// Opened at the first checkpoint, when the database exists; kept open after.
        var connection: DatabaseQueue?
    }

    init(path: String) {
        self.path = path
    }

    /// Hooks `db`'s commits, in place of SQLite's automatic checkpoint. A read-only connection
    /// never commits, so every connection of a pool may be watched.
    func watch(_ db: Database) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = sqlite3_wal_hook(db.sqliteConnection, { context, _, _, pages in
            if let context, pages >= Checkpointer.threshold {
                Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().queueCheckpoint()
            }
            return SQLITE_OK
        }, context)
    }

    /// Waits until the checkpoint queued, if any, is done (for tests).
    func waitForQueued() {
        queue.sync {}
    }

    private func queueCheckpoint() {
        let first = state.withLock { state -> Bool in
            defer { state.queued = true }
            return !state.queued
        }
        guard first else { return }
        queue.async { self.checkpoint() }
    }

    /// One passive checkpoint. A failure (the database gone, the disk full) is left for the
    /// next: the log then only grows, as it would under SQLite's own checkpoint.
    private func checkpoint() {
        // Only this queue opens the connection and uses it; the lock guards the hand-over.
        var connection = state.withLock { state -> DatabaseQueue? in
            state.queued = false
            return state.connection
        }
        if connection == nil, FileManager.default.fileExists(atPath: path) {
            var configuration = Configuration()
            configuration.label = "kobling.db.checkpoint"
            connection = try? DatabaseQueue(path: path, configuration: configuration)
            state.withLock { $0.connection = connection }
        }
        try? connection?.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
    }
}
