import Foundation
import GRDB
import GRDBSQLite
import KoblingCore

extension AppDatabase {
    /// One page of the directory, each person as the viewer may see them, as their rendered JSON
    /// documents joined by commas.
    public func people(_ filter: PeopleFilter, viewer: Viewer, page: PageRequest) async throws -> DocumentList {
        // ?1: the viewer is an organiser; ?2: the viewer's account.
        var query = ListQuery(arguments: [viewer.isOrganiser, viewer.accountId])
        // True when the viewer sees the whole profile: the person themself or an organiser.
        let sees = "(?1 OR (?2 IS NOT NULL AND p.accountId = ?2))"
        // The JSON arrays hold plain quoted names and codes, so a quoted name is found by a string
        // search: no JSON is parsed for each row a filter looks at.
        func shown(_ field: PersonField) -> String {
            "(\(sees) OR instr(p.publicFields, '\"\(field.rawValue)\"') > 0)"
        }
        func quoted(_ value: String) -> String { "\"" + value + "\"" }
        if let role = filter.role {
            query.require("instr(p.roles, ?) > 0 AND \(shown(.roles))", quoted(role.rawValue))
        }
        if let tag = filter.tag {
            query.require("EXISTS (SELECT 1 FROM personTag t WHERE t.personId = p.id AND t.tagId = ?) AND \(shown(.tags))", tag)
        }
        if let language = filter.language {
            // A language is two lowercase letters (checked when read), so it cannot hold a quote.
            query.require("instr(p.languages, ?) > 0 AND \(shown(.languages))", quoted(language))
        }
        if let region = filter.region {
            query.require("p.region = ? COLLATE NOCASE AND \(shown(.region))", region)
        }
        if let matchable = filter.matchable {
            // Consent is not public: only organisers filter on it.
            query.require(matchable ? "p.matchableSince IS NOT NULL AND ?1" : "p.matchableSince IS NULL AND ?1")
        }
        if let text = filter.text, let match = SearchText.fts5Query(text) {
            let column = viewer.isOrganiser ? "allText" : "publicText"
            query.search(.people, alias: "p", "{\(column)} : (\(match))")
        }
        query.after(page, table: "p")
        let sql = """
            SELECT CASE WHEN \(sees) THEN p.documentFull ELSE p.documentPublic END, p.sortKey, p.id
            FROM person p \(query.filterClause) \(query.orderAndLimit(page, table: "p"))
            """
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }

    /// A person's profile rendered for the viewer, or nil when there is no such person.
    public func personDocument(id: String, viewer: Viewer) async throws -> StoredDocument? {
        try await document(
            sql: """
                SELECT CASE WHEN ?1 OR (?2 IS NOT NULL AND accountId = ?2) THEN documentFull ELSE documentPublic END, version
                FROM person WHERE id = ?3
                """, arguments: [viewer.isOrganiser, viewer.accountId, id])
    }

    /// The account that owns a person profile, if any.
    public func owner(ofPerson id: String) async throws -> String?? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT accountId FROM person WHERE id = ?", arguments: [id]).map { $0[0] as String? }
        }
    }

    /// A profile an organiser keeps for someone without an account (a mentor, a specialist).
    public func createPerson(_ body: JSONValue) async throws -> Person {
        let now = self.now
        let blank = Person(id: ids.next("per"), name: "", createdAt: now, updatedAt: now)
        let person = try PersonChanges.apply(body, to: blank, creating: true, now: now)
        return try await write { db in
            try self.insertPerson(person, accountId: nil, db)
            return person
        }
    }

    /// Changes a person in one transaction, refusing when `expectedVersion` no longer matches.
    public func updatePerson(id: String, expectedVersion: Int?, change: @Sendable @escaping (Person) throws -> Person) async throws -> Person {
        try await write { db in
            guard let record = try PersonRecord.fetchOne(db, key: id) else { throw KoblingError.notFound() }
            let current = record.person(tags: try self.personTags(id, db))
            if let expectedVersion, expectedVersion != current.version { throw KoblingError.preconditionFailed() }
            let updated = try change(current)
            guard updated != current else { return current }
            try self.checkTags(updated.tags, pointer: "/tags", db)
            try PersonRecord(updated, accountId: record.accountId).update(db)
            try self.writeTags(updated, db)
            if updated.name != current.name { try self.renderMemberships(where: "m.personId = ?", [id], db) }
            return updated
        }
    }

    public func deletePerson(id: String) async throws {
        try await write { db in
            try SearchIndex.people.remove(id: id, db)
            try self.removePitches(ofAuthor: id, db)
            try self.forgetInSessions(id, db)
            guard try PersonRecord.deleteOne(db, key: id) else { throw KoblingError.notFound() }
        }
    }

    // MARK: Within a transaction

    private func personTags(_ id: String, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT tagId FROM personTag WHERE personId = ? ORDER BY position", arguments: [id])
    }

    func insertPerson(_ person: Person, accountId: String?, _ db: Database) throws {
        try checkTags(person.tags, pointer: "/tags", db)
        try PersonRecord(person, accountId: accountId).insert(db)
        // The person's row in the search index, for good: a key of its own, not SQLite's rowid,
        // which VACUUM may renumber.
        try SearchIndex.people.assignKey(id: person.id, db)
        try writeTags(person, db)
    }

    private func writeTags(_ person: Person, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM personTag WHERE personId = ?", arguments: [person.id])
        for (position, tag) in person.tags.enumerated() {
            try db.execute(
                sql: "INSERT INTO personTag (personId, tagId, position) VALUES (?, ?, ?)", arguments: [person.id, tag, position])
        }
        let all = [person.name, person.headline, person.bio].compactMap { $0 }.joined(separator: "\n")
        let visible = [
            person.name, person.isPublic(.headline) ? person.headline : nil, person.isPublic(.bio) ? person.bio : nil,
        ].compactMap { $0 }.joined(separator: "\n")
        try SearchIndex.people.replace(id: person.id, texts: [visible, all], db)
    }

    /// Fails with a field error per tag id the taxonomy does not have.
    func checkTags(_ tags: [String], pointer: String, _ db: Database) throws {
        guard !tags.isEmpty else { return }
        let known = try Set(String.fetchAll(db, sql: "SELECT id FROM tag WHERE id IN (\(databaseQuestionMarks(count: tags.count)))", arguments: StatementArguments(tags)))
        var validator = Validator()
        for (index, tag) in tags.enumerated() where !known.contains(tag) {
            validator.add("\(pointer)/\(index)", "Unknown tag \"\(tag)\"; see /v1/tags.")
        }
        try validator.finish()
    }
}
