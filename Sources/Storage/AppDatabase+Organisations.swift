import GRDB
import KoblingCore

public struct OrganisationFilter: Sendable, Equatable {
    public var kind: OrganisationKind?
    public var tag: String?
    public var region: String?
    public var text: String?

    public init(kind: OrganisationKind? = nil, tag: String? = nil, region: String? = nil, text: String? = nil) {
        self.kind = kind
        self.tag = tag
        self.region = region
        self.text = text
    }
}

extension AppDatabase {
    public func organisations(_ filter: OrganisationFilter, page: PageRequest) async throws -> DocumentList {
        var query = ListQuery()
        if let kind = filter.kind { query.require("o.kind = ?", kind.rawValue) }
        if let tag = filter.tag {
            query.require("EXISTS (SELECT 1 FROM organisationTag t WHERE t.organisationId = o.id AND t.tagId = ?)", tag)
        }
        if let region = filter.region { query.require("o.region = ? COLLATE NOCASE", region) }
        if let text = filter.text, let match = SearchText.fts5Query(text) {
            query.search(.organisations, alias: "o", match)
        }
        query.after(page, table: "o")
        let sql = "SELECT o.document, o.sortKey, o.id FROM organisation o \(query.filterClause) \(query.orderAndLimit(page, table: "o"))"
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }

    public func organisation(id: String) async throws -> Organisation? {
        try await read { db in try self.fetchOrganisation(id: id, db) }
    }

    public func organisationDocument(id: String) async throws -> StoredDocument? {
        try await document(sql: "SELECT document, version FROM organisation WHERE id = ?", arguments: [id])
    }

    /// Creates an organisation; its creator (if a person) becomes its first admin.
    public func createOrganisation(_ body: JSONValue, adminPersonId: String?) async throws -> Organisation {
        let now = self.now
        let blank = Organisation(id: ids.next("org"), kind: .company, name: "", createdAt: now, updatedAt: now)
        let organisation = try OrganisationChanges.apply(body, to: blank, creating: true, now: now)
        return try await write { db in
            try self.insertOrganisation(organisation, db)
            if let adminPersonId {
                try db.execute(
                    sql: "INSERT INTO membership (organisationId, personId, role, createdAt) VALUES (?, ?, 'admin', ?)",
                    arguments: [organisation.id, adminPersonId, now])
                try self.renderMemberships(where: "m.organisationId = ?", [organisation.id], db)
            }
            return organisation
        }
    }

    public func updateOrganisation(id: String, expectedVersion: Int?, body: JSONValue) async throws -> Organisation {
        let now = self.now
        return try await write { db in
            guard let current = try self.fetchOrganisation(id: id, db) else { throw KoblingError.notFound() }
            if let expectedVersion, expectedVersion != current.version { throw KoblingError.preconditionFailed() }
            let updated = try OrganisationChanges.apply(body, to: current, creating: false, now: now)
            guard updated != current else { return current }
            try self.checkTags(updated.tags, pointer: "/tags", db)
            try OrganisationRecord(updated).update(db)
            try self.writeOrganisationIndexes(updated, db)
            if updated.name != current.name { try self.renderMemberships(where: "m.organisationId = ?", [id], db) }
            return updated
        }
    }

    public func deleteOrganisation(id: String) async throws {
        try await write { db in
            try SearchIndex.organisations.remove(id: id, db)
            try self.forgetOrganisation(id, inPitches: db)
            guard try OrganisationRecord.deleteOne(db, key: id) else { throw KoblingError.notFound() }
        }
    }

    // MARK: Members

    /// An organisation's members, as their stored documents.
    public func members(organisationId: String) async throws -> DocumentList {
        try await readStatement { db in
            let list = try Self.documents(sql: Self.membershipDocuments + " WHERE m.organisationId = ? " + Self.membershipOrder, arguments: [organisationId], db)
            // Asked only when there is none: an organisation has an admin, so nearly never.
            if list.count == 0, try !OrganisationRecord.exists(db, key: organisationId) { throw KoblingError.notFound() }
            return list
        }
    }

    /// A person's memberships, as their stored documents.
    public func memberships(personId: String) async throws -> DocumentList {
        try await readStatement { db in
            let list = try Self.documents(sql: Self.membershipDocuments + " WHERE m.personId = ? " + Self.membershipOrder, arguments: [personId], db)
            if list.count == 0, try !PersonRecord.exists(db, key: personId) { throw KoblingError.notFound("No such person.") }
            return list
        }
    }

    private static let membershipDocuments = """
        SELECT m.document FROM membership m JOIN organisation o ON o.id = m.organisationId JOIN person p ON p.id = m.personId
        """
    private static let membershipOrder = "ORDER BY o.sortKey, p.sortKey, p.id"

    /// Renders the stored documents of the memberships `condition` selects (on `m`, the
    /// membership): whenever a membership, its organisation's name or its person's name changes.
    func renderMemberships(where condition: String, _ arguments: StatementArguments, _ db: Database) throws {
        for membership in try memberships(where: condition, arguments, db) {
            try db.execute(
                sql: "UPDATE membership SET document = ? WHERE organisationId = ? AND personId = ?",
                arguments: [JSONDocument.render(membership), membership.organisationId, membership.personId])
        }
    }

    func memberships(personId: String, _ db: Database) throws -> [Membership] {
        try memberships(where: "m.personId = ?", personId, db)
    }

    public func organisationExists(id: String) async throws -> Bool {
        try await read { db in try OrganisationRecord.exists(db, key: id) }
    }

    public func isAdmin(personId: String, organisationId: String) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM membership WHERE organisationId = ? AND personId = ? AND role = 'admin')", arguments: [organisationId, personId]) ?? false
        }
    }

    /// Adds a person to an organisation or changes their role and title there.
    public func setMember(organisationId: String, personId: String, role: MembershipRole, title: String?) async throws -> (Membership, created: Bool) {
        let now = self.now
        return try await write { db in
            guard try OrganisationRecord.exists(db, key: organisationId) else { throw KoblingError.notFound() }
            guard try PersonRecord.exists(db, key: personId) else {
                throw KoblingError.notFound("No such person.")
            }
            let existing = try String.fetchOne(db, sql: "SELECT role FROM membership WHERE organisationId = ? AND personId = ?", arguments: [organisationId, personId])
            if existing == "admin" && role != .admin { try self.keepAnAdmin(organisationId: organisationId, leaving: personId, db) }
            try db.execute(sql: """
                INSERT INTO membership (organisationId, personId, role, title, createdAt) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (organisationId, personId) DO UPDATE SET role = excluded.role, title = excluded.title
                """, arguments: [organisationId, personId, role.rawValue, title, now])
            try self.renderMemberships(where: "m.organisationId = ? AND m.personId = ?", [organisationId, personId], db)
            let membership = try self.memberships(where: "m.organisationId = ? AND m.personId = ?", [organisationId, personId], db)[0]
            return (membership, existing == nil)
        }
    }

    public func removeMember(organisationId: String, personId: String) async throws {
        try await write { db in
            let role = try String.fetchOne(db, sql: "SELECT role FROM membership WHERE organisationId = ? AND personId = ?", arguments: [organisationId, personId])
            guard let role else { throw KoblingError.notFound() }
            if role == "admin" { try self.keepAnAdmin(organisationId: organisationId, leaving: personId, db) }
            try db.execute(sql: "DELETE FROM membership WHERE organisationId = ? AND personId = ?", arguments: [organisationId, personId])
        }
    }

    // MARK: Within a transaction

    private func keepAnAdmin(organisationId: String, leaving personId: String, _ db: Database) throws {
        let others = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM membership WHERE organisationId = ? AND role = 'admin' AND personId <> ?", arguments: [organisationId, personId]) ?? 0
        if others == 0 {
            throw KoblingError.conflict("An organisation keeps at least one admin; make someone else admin first.")
        }
    }

    func memberships(where condition: String, _ arguments: StatementArguments, _ db: Database) throws -> [Membership] {
        try Row.fetchAll(db, sql: """
            SELECT m.organisationId, o.name AS organisationName, m.personId, p.name AS personName, m.role, m.title
            FROM membership m JOIN organisation o ON o.id = m.organisationId JOIN person p ON p.id = m.personId
            WHERE \(condition) ORDER BY o.sortKey, p.sortKey, p.id
            """, arguments: arguments).map {
            Membership(
                organisationId: $0["organisationId"], organisationName: $0["organisationName"], personId: $0["personId"],
                personName: $0["personName"], role: MembershipRole(rawValue: $0["role"]) ?? .member, title: $0["title"])
        }
    }

    private func memberships(where condition: String, _ value: String, _ db: Database) throws -> [Membership] {
        try memberships(where: condition, [value], db)
    }

    func fetchOrganisation(id: String, _ db: Database) throws -> Organisation? {
        try OrganisationRecord.fetchOne(db, key: id).map { $0.organisation(tags: try organisationTags([id], db)[id] ?? []) }
    }

    /// The tags of several organisations in one query, in each one's order.
    func organisationTags(_ ids: [String], _ db: Database) throws -> [String: [String]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try Row.fetchAll(
            db, sql: """
                SELECT organisationId, tagId FROM organisationTag
                WHERE organisationId IN (\(databaseQuestionMarks(count: ids.count))) ORDER BY organisationId, position
                """, arguments: StatementArguments(ids))
        return Dictionary(grouping: rows) { $0["organisationId"] as String }.mapValues { $0.map { $0["tagId"] as String } }
    }

    func insertOrganisation(_ organisation: Organisation, _ db: Database) throws {
        try checkTags(organisation.tags, pointer: "/tags", db)
        try OrganisationRecord(organisation).insert(db)
        try SearchIndex.organisations.assignKey(id: organisation.id, db)
        try writeOrganisationIndexes(organisation, db)
    }

    private func writeOrganisationIndexes(_ organisation: Organisation, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM organisationTag WHERE organisationId = ?", arguments: [organisation.id])
        for (position, tag) in organisation.tags.enumerated() {
            try db.execute(sql: "INSERT INTO organisationTag (organisationId, tagId, position) VALUES (?, ?, ?)", arguments: [organisation.id, tag, position])
        }
        let text = [organisation.name, organisation.description, organisation.region].compactMap { $0 }.joined(separator: "\n")
        try SearchIndex.organisations.replace(id: organisation.id, texts: [text], db)
    }
}
