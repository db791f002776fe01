import GRDB
import KoblingCore

extension AppDatabase {
    /// The vocabulary, by English label; `text` matches either label and the synonyms.
    public func tags(kind: TagKind?, text: String?, page: PageRequest) async throws -> DocumentList {
        var query = ListQuery()
        if let kind { query.require("tag.kind = ?", kind.rawValue) }
        if let text, let match = SearchText.fts5Query(text) {
            query.search(.tags, alias: "tag", match)
        }
        query.after(page, table: "tag")
        let sql = "SELECT tag.document, tag.sortKey, tag.id FROM tag \(query.filterClause) \(query.orderAndLimit(page, table: "tag"))"
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }

    /// The whole vocabulary, by id: what texts are read for concepts with.
    public func allTags() async throws -> [Tag] {
        try await read { db in try TagRecord.order(Column("id")).fetchAll(db).map(\.tag) }
    }

    public func tag(id: String) async throws -> Tag? {
        try await read { db in try TagRecord.fetchOne(db, key: id)?.tag }
    }

    public func tagDocument(id: String) async throws -> StoredDocument? {
        try await document(sql: "SELECT document FROM tag WHERE id = ?", arguments: [id])
    }

    public func createTag(_ body: JSONValue) async throws -> Tag {
        let blank = Tag(id: "", kind: .skill, label: .init(da: "", en: ""))
        let tag = try TagChanges.apply(body, to: blank, creating: true)
        return try await write { db in
            guard try !TagRecord.exists(db, key: tag.id) else {
                throw KoblingError.conflict("A tag with the id \"\(tag.id)\" exists already.")
            }
            try self.saveTag(tag, insert: true, db)
            return tag
        }
    }

    public func updateTag(id: String, body: JSONValue) async throws -> Tag {
        try await write { db in
            guard let current = try TagRecord.fetchOne(db, key: id)?.tag else { throw KoblingError.notFound() }
            let updated = try TagChanges.apply(body, to: current, creating: false)
            if updated != current { try self.saveTag(updated, insert: false, db) }
            return updated
        }
    }

    /// Removes a tag nobody uses; a tag in use would silently change profiles, so it is refused.
    public func deleteTag(id: String) async throws {
        try await write { db in
            guard try TagRecord.exists(db, key: id) else { throw KoblingError.notFound() }
            let uses = try Int.fetchOne(db, sql: """
                SELECT (SELECT COUNT(*) FROM personTag WHERE tagId = ?1) + (SELECT COUNT(*) FROM organisationTag WHERE tagId = ?1)
                  + (SELECT COUNT(*) FROM pitchTag WHERE tagId = ?1)
                """, arguments: [id]) ?? 0
            if uses > 0 {
                throw KoblingError.conflict("The tag is used by \(uses) profiles and pitches; remove it from them first.")
            }
            try SearchIndex.tags.remove(id: id, db)
            _ = try TagRecord.deleteOne(db, key: id)
        }
    }

    func saveTag(_ tag: Tag, insert: Bool, _ db: Database) throws {
        if insert {
            try TagRecord(tag).insert(db)
            try SearchIndex.tags.assignKey(id: tag.id, db)
        } else {
            try TagRecord(tag).update(db)
        }
        let text = ([tag.label.da, tag.label.en] + tag.synonyms).joined(separator: "\n")
        try SearchIndex.tags.replace(id: tag.id, texts: [text], db)
    }
}
