import Foundation
import GRDB
import GRDBSQLite
import KoblingCore

/// One rendered JSON document as stored, with the version its ETag names when it has one.
public struct StoredDocument: Sendable, Equatable {
    public var bytes: [UInt8]
    public var version: Int?
}

/// Reading resources as the JSON documents rendered when they were written: every public list
/// and read copies the stored bytes straight from SQLite, with no decoding into models and no
/// encoding back. A resource keeps its document in a `document` column (people keep two, full and
/// public), written in the same transaction as the row; a migration that changes a resource's
/// JSON renders the column again.
extension AppDatabase {
    /// A page of documents. `sql` selects the document first, then the columns of the keyset
    /// cursor, and fetches at most `limit + 1` rows: the extra row only says that there is more.
    func documentPage(sql: String, arguments: StatementArguments, limit: Int) async throws -> DocumentList {
        // One SELECT is consistent on its own, so no read transaction is needed around it.
        try await readStatement { db in try Self.documents(sql: sql, arguments: arguments, limit: limit, db) }
    }

    /// The documents `sql` selects, as `documentPage` reads them, within a read of the caller's.
    /// Without a limit, every row.
    static func documents(sql: String, arguments: StatementArguments, limit: Int = .max, _ db: Database) throws -> DocumentList {
        let statement = try db.cachedStatement(sql: sql)
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        var list = DocumentList()
        list.joined.reserveCapacity(min(limit, 64) * 512)
        var lastKey: [String] = []
        while let row = try rows.next() {
            if list.count == limit {
                list.nextCursor = Cursor.encode(lastKey)
                break
            }
            if list.count > 0 { list.joined.append(UInt8(ascii: ",")) }
            appendColumn(0, of: statement, to: &list.joined)
            list.count += 1
            if list.count == limit { lastKey = (1..<row.count).map { row[$0] } }
        }
        return list
    }

    /// The document of the first row `sql` selects (and, as a second column, its version), or
    /// nil when it selects none.
    func document(sql: String, arguments: StatementArguments) async throws -> StoredDocument? {
        try await readStatement { db in
            let statement = try db.cachedStatement(sql: sql)
            let rows = try Row.fetchCursor(statement, arguments: arguments)
            guard let row = try rows.next() else { return nil }
            var bytes: [UInt8] = []
            Self.appendColumn(0, of: statement, to: &bytes)
            return StoredDocument(bytes: bytes, version: row.count > 1 ? row[1] : nil)
        }
    }

    /// A text column's bytes straight from SQLite: they were valid JSON when written.
    private static func appendColumn(_ index: Int32, of statement: Statement, to bytes: inout [UInt8]) {
        if let text = sqlite3_column_text(statement.sqliteStatement, index) {
            let length = Int(sqlite3_column_bytes(statement.sqliteStatement, index))
            bytes.append(contentsOf: UnsafeBufferPointer(start: text, count: length))
        }
    }
}

extension AppDatabase {
    /// Renders every stored document that is empty: those of rows made before their table kept
    /// one (a migration adds the column empty), or emptied by a migration that changes what the
    /// document holds. Run when the database opens, after the migrations, so that migrations
    /// never depend on how today's code renders.
    func renderMissingDocuments(_ db: Database) throws {
        for var record in try TagRecord.filter(sql: "document = ''").fetchAll(db) {
            record.document = JSONDocument.render(record.tag)
            try record.update(db, columns: ["document"])
        }
        let organisations = try OrganisationRecord.filter(sql: "document = ''").fetchAll(db)
        let tags = try organisationTags(organisations.map(\.id), db)
        for var record in organisations {
            record.document = JSONDocument.render(record.organisation(tags: tags[record.id] ?? []))
            try record.update(db, columns: ["document"])
        }
        for var record in try MailingListRecord.filter(sql: "document = ''").fetchAll(db) {
            record.document = JSONDocument.render(record.model)
            try record.update(db, columns: ["document"])
        }
        try renderMemberships(where: "m.document = ''", [], db)
        // Rounds stored before they had a kind (v20) match pitches, as their documents will say.
        for var record in try RoundRecord.filter(sql: "document NOT LIKE '%\"kind\":%'").fetchAll(db) {
            record.document = JSONDocument.render(try record.round())
            try record.update(db, columns: ["document"])
        }
    }
}
