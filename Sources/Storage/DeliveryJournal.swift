import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Which messages a server has taken, written the moment its 250 arrives, before the message's
/// row in the outbox says so. One `write` a message to a file opened for appending: it survives
/// the process being killed as a committed SQLite transaction does (with `synchronous = NORMAL`
/// neither waits for the disk), at a fraction of the cost, so that a connection never waits for a
/// transaction between messages. The worker records outcomes in the database in batches and
/// empties the journal once they are in; after a crash, the journal is applied before rows
/// left "sending" are queued again. A line torn by a crash mid-write is skipped: its message
/// counts as not recorded and is sent again, which is the one message a connection may send twice.
final class DeliveryJournal: @unchecked Sendable {
    struct Entry: Equatable, Sendable {
        var id: String
        var at: String
        var messageId: String
        var reply: String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        /// The errno of the failed call.
        var code: Int32 = 0
    }

    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(descriptor)
    }

    /// Appends one entry in a single write. A write the disk cut short (it is full) is taken back,
    /// so that no torn line sits before the next entry.
    func append(_ entry: Entry) throws {
        let line = [entry.id, entry.at, entry.messageId, entry.reply].map(Self.field).joined(separator: "\t") + "\n"
        var line8 = line
        var before = stat()
        _ = fstat(descriptor, &before)
        let written = line8.withUTF8 { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.utf8.count else {
            let code = written < 0 ? errno : ENOSPC
            if written > 0 { _ = ftruncate(descriptor, before.st_size) }
            throw Failure(description: "cannot write to \(path): \(String(cString: strerror(code)))", code: code)
        }
    }

    /// Whether anything is recorded.
    var isEmpty: Bool {
        var status = stat()
        return fstat(descriptor, &status) != 0 || status.st_size == 0
    }

    /// Every whole entry, oldest first.
    func entries() throws -> [Entry] {
        guard !isEmpty else { return [] }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var entries: [Entry] = []
        for line in data.split(separator: 10, omittingEmptySubsequences: true) where line.endIndex < data.endIndex || data.last == 10 {
            let fields = String(decoding: line, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 4, !fields[0].isEmpty else { continue }
            entries.append(Entry(id: String(fields[0]), at: String(fields[1]), messageId: String(fields[2]), reply: String(fields[3])))
        }
        return entries
    }

    /// Empties the journal (once what it holds is in the database).
    func clear() throws {
        guard ftruncate(descriptor, 0) == 0 else {
            throw Failure(description: "cannot empty \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Tabs and line ends would break the line's shape; a reply's text has no need of them.
    private static func field(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 9 || $0 == 10 || $0 == 13 }) else { return text }
        return String(text.map { $0 == "\t" || $0.isNewline ? " " : $0 })
    }
}
