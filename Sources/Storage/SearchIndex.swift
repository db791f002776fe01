import GRDB

/// A full-text index (SQLite FTS5) over the rows of one table: people, organisations and tags
/// each have one. An index row is keyed by its owner's integer `searchKey` (its FTS rowid), so
/// that replacing or removing a row is one b-tree step and a search joins its matches to the
/// owners directly. The key is given once, when the owner is first written, and kept in a column
/// of its own, since VACUUM may renumber SQLite's rowids.
///
/// The indexes keep prefix indexes of 2 to 6 letters: a search box's words are prefix terms, and
/// without them FTS5 merges the lists of every word that starts with the prefix on each search.
struct SearchIndex: Sendable {
    /// The FTS5 table.
    let table: String
    /// The table whose rows it indexes, by their `id`.
    let owner: String
    /// The indexed columns, in their order.
    let columns: [String]

    static let people = SearchIndex(table: "personSearch", owner: "person", columns: ["publicText", "allText"])
    static let organisations = SearchIndex(table: "organisationSearch", owner: "organisation", columns: ["text"])
    static let tags = SearchIndex(table: "tagSearch", owner: "tag", columns: ["text"])
    static let pitches = SearchIndex(table: "pitchSearch", owner: "pitch", columns: ["text"])
    static let all = [people, organisations, tags, pitches]

    /// Joins the index to the owner's rows under `alias`; with `condition` in the WHERE clause, a
    /// query reads only the owners the search matches, without a list of them built first.
    func join(_ alias: String) -> String {
        "JOIN \(table) ON \(table).rowid = \(alias).searchKey"
    }

    /// The WHERE condition that goes with `join`; its argument is an FTS5 query.
    var condition: String { "\(table) MATCH ?" }

    /// Gives a newly inserted owner its key: one more than the largest given so far.
    func assignKey(id: String, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE \(owner) SET searchKey = (SELECT COALESCE(MAX(searchKey), 0) + 1 FROM \(owner)) WHERE id = ?",
            arguments: [id])
    }

    /// Writes the owner's texts, one a column, in place of what the index held for it.
    func replace(id: String, texts: [String], _ db: Database) throws {
        precondition(texts.count == columns.count, "one text a column of \(table)")
        try remove(id: id, db)
        let placeholders = databaseQuestionMarks(count: texts.count)
        try db.execute(
            sql: "INSERT INTO \(table) (rowid, \(columns.joined(separator: ", "))) SELECT searchKey, \(placeholders) FROM \(owner) WHERE id = ?",
            arguments: StatementArguments(texts + [id]))
    }

    /// Takes the owner out of the index. Call it before the owner's row is deleted: the key is
    /// read from that row.
    func remove(id: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM \(table) WHERE rowid = (SELECT searchKey FROM \(owner) WHERE id = ?)", arguments: [id])
    }

    /// Merges the index into one segment, so that a search reads one b-tree instead of many: after
    /// many rows were written one by one, as a seed writes them.
    func optimize(_ db: Database) throws {
        try db.execute(sql: "INSERT INTO \(table)(\(table)) VALUES ('optimize')")
    }
}
