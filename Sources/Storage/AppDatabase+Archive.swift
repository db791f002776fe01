import Foundation
import GRDB
import KoblingCore

/// A sent issue as the public archive serves it, rendered once: the list entry and the whole
/// issue as JSON documents, the page "read it in your browser" opens, and its line on the
/// archive's index page. Sent issues do not change, so these are rendered when an issue is sent, and again
/// when the server starts (the links in them follow `KOBLING_PUBLIC_URL`).
public struct ArchiveRendering: Sendable, Equatable {
    public var entry: String
    public var document: String
    public var html: String
    /// An HTML `<li>` with the link to the page.
    public var line: String

    public init(entry: String, document: String, html: String, line: String) {
        self.entry = entry
        self.document = document
        self.html = html
        self.line = line
    }
}

/// Renders a sent issue for the archive (the caller knows templates and links; Storage does not).
public typealias ArchiveRenderer = @Sendable (ArchivedIssue) throws -> ArchiveRendering

/// One line of the archive's index page, under its list's name.
public struct ArchiveIndexLine: Sendable, Equatable {
    public var listName: String
    public var line: [UInt8]
}

extension AppDatabase {
    /// Renders the archive of every sent issue again.
    public func refreshArchive(render: @escaping ArchiveRenderer) async throws {
        try await write { db in try self.renderArchive(where: "i.status = 'sent'", [], render, db) }
    }

    func renderArchive(where condition: String, _ arguments: StatementArguments, _ render: ArchiveRenderer, _ db: Database) throws {
        for row in try Row.fetchAll(db, sql: Self.issueSelect + " WHERE \(condition)", arguments: arguments) {
            let issue = ArchivedIssue(row)
            let rendering = try render(issue)
            try db.execute(
                sql: "UPDATE newsletterIssue SET archiveEntry = ?, archiveDocument = ?, archiveHTML = ?, archiveLine = ? WHERE id = ?",
                arguments: [rendering.entry, rendering.document, rendering.html, rendering.line, issue.id])
        }
    }

    /// Sent issues, newest first, optionally of one list: the public archive's entries.
    public func archive(listId: String?, page: PageRequest) async throws -> DocumentList {
        var query = ListQuery()
        query.require("i.status = 'sent' AND i.archiveEntry IS NOT NULL")
        if let listId { query.require("i.listId = ?", listId) }
        if let after = page.after, after.count == 2 { query.require("(i.sentAt, i.id) < (?, ?)", after[0], after[1]) }
        return try await documentPage(
            sql: "SELECT i.archiveEntry, i.sentAt, i.id FROM newsletterIssue i \(query.filterClause) ORDER BY i.sentAt DESC, i.id DESC LIMIT \(page.limit + 1)",
            arguments: query.arguments, limit: page.limit)
    }

    /// One sent issue as a JSON document; nil for an issue that is unknown or not sent.
    public func archivedIssueDocument(id: String) async throws -> StoredDocument? {
        try await document(
            sql: "SELECT archiveDocument FROM newsletterIssue WHERE id = ? AND status = 'sent' AND archiveDocument IS NOT NULL", arguments: [id])
    }

    /// One sent issue as the page its email's browser link opens.
    public func archivedIssuePage(id: String) async throws -> StoredDocument? {
        try await document(
            sql: "SELECT archiveHTML FROM newsletterIssue WHERE id = ? AND status = 'sent' AND archiveHTML IS NOT NULL", arguments: [id])
    }

    /// Every sent issue, by list and newest first, for the archive's index page.
    public func archiveIndex() async throws -> [ArchiveIndexLine] {
        try await readStatement { db in
            // Cached: compiling a statement (with GRDB's check of what it reads) costs more than running it.
            let statement = try db.cachedStatement(sql: """
                SELECT l.name, i.archiveLine FROM newsletterIssue i JOIN mailingList l ON l.id = i.listId
                WHERE i.status = 'sent' AND i.archiveLine IS NOT NULL ORDER BY l.name, i.sentAt DESC, i.id DESC
                """)
            return try Row.fetchAll(statement).map { ArchiveIndexLine(listName: $0[0], line: Array(($0[1] as String).utf8)) }
        }
    }
}
