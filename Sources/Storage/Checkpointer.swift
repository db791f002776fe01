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
/// automatic checkpoint with this hook), and past `threshold` pages a connection of its own, on
/// a queue of its own, runs a passive checkpoint: it waits for no reader and no writer, copies
/// what no reader still needs, and the next write starts the log over. At most one is queued at
/// a time; a commit that finds one queued adds nothing.
///
/// A log past `limit` pages is checkpointed in the commit, as SQLite would: one commit that
/// large (loading a seed) or writes so constant that the queued checkpoints never catch up would
/// otherwise leave the log growing, and a command that exits right after its commit would leave
/// the whole of it for the next process to read through.
final class Checkpointer: Sendable {
    /// The log's length, in pages, past which a checkpoint is queued (SQLite's own default),
    /// and past which the commit checkpoints itself (64 MiB of 4 KiB pages).
    let threshold: Int32
    let limit: Int32

    private let path: String
    private let queue = DispatchQueue(label: "kobling.db.checkpoint")
    private let state = Mutex(State())

    private struct State {
        var queued = false
        /// Opened at the first checkpoint, when the database exists; kept open after.
        var connection: DatabaseQueue?
    }

    init(path: String, threshold: Int32 = 1000, limit: Int32 = 16384) {
        self.path = path
        self.threshold = threshold
        self.limit = limit
    }

    /// Hooks `db`'s commits, in place of SQLite's automatic checkpoint. A read-only connection
    /// never commits, so every connection of a pool may be watched.
    func watch(_ db: Database) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = sqlite3_wal_hook(db.sqliteConnection, { context, connection, name, pages in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue()
            if pages >= checkpointer.limit {
                // As SQLite's own hook does; what it cannot copy now the queued ones will.
                _ = sqlite3_wal_checkpoint_v2(connection, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if pages >= checkpointer.threshold {
                checkpointer.queueCheckpoint()
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
