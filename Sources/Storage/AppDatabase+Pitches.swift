import GRDB
import KoblingCore

public struct PitchFilter: Sendable, Equatable {
    public var status: PitchStatus?
    public var tag: String?
    public var role: PersonRole?
    public var language: String?
    public var authorId: String?
    public var organisationId: String?
    public var text: String?

    public init(
        status: PitchStatus? = nil, tag: String? = nil, role: PersonRole? = nil, language: String? = nil,
        authorId: String? = nil, organisationId: String? = nil, text: String? = nil
    ) {
        self.status = status
        self.tag = tag
        self.role = role
        self.language = language
        self.authorId = authorId
        self.organisationId = organisationId
        self.text = text
    }
}

/// Pitches: who sees which, their life cycle, and the interest and shortlists around them.
///
/// Anyone sees public pitches that are approved or matched; members see those of either
/// visibility and their own in any status; organisers see every pitch.
extension AppDatabase {
    public func pitches(_ filter: PitchFilter, viewer: Viewer, page: PageRequest) async throws -> DocumentList {
        var query = ListQuery()
        query.require("x.kind = ?", RoundKind.pitches.rawValue)
        Self.visible(to: viewer, alias: "x", &query)
        if let status = filter.status { query.require("x.status = ?", status.rawValue) }
        if let tag = filter.tag { query.require("EXISTS (SELECT 1 FROM pitchTag t WHERE t.pitchId = x.id AND t.tagId = ?)", tag) }
        if let role = filter.role { query.require("EXISTS (SELECT 1 FROM pitchRole r WHERE r.pitchId = x.id AND r.role = ?)", role.rawValue) }
        if let language = filter.language {
            query.require("(x.language = ? OR EXISTS (SELECT 1 FROM pitchLanguage l WHERE l.pitchId = x.id AND l.language = ?))", language, language)
        }
        if let author = filter.authorId { query.require("x.authorId = ?", author) }
        if let organisation = filter.organisationId { query.require("x.organisationId = ?", organisation) }
        if let text = filter.text, let match = SearchText.fts5Query(text) { query.search(.pitches, alias: "x", match) }
        query.after(page, table: "x")
        let sql = "SELECT x.document, x.sortKey, x.id FROM pitch x \(query.filterClause) \(query.orderAndLimit(page, table: "x"))"
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }

    /// A pitch's document, or nil when there is none the viewer may see.
    public func pitchDocument(id: String, viewer: Viewer) async throws -> StoredDocument? {
        var query = ListQuery()
        query.require("x.id = ? AND x.kind = ?", id, RoundKind.pitches.rawValue)
        Self.visible(to: viewer, alias: "x", &query)
        return try await document(sql: "SELECT x.document, x.version FROM pitch x \(query.filterClause)", arguments: query.arguments)
    }

    /// Who wrote a pitch (its person id), or nil when there is no such pitch.
    public func pitchAuthor(id: String) async throws -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT authorId FROM pitch WHERE id = ?", arguments: [id]) }
    }

    public func createPitch(_ body: JSONValue, authorId: String) async throws -> Pitch {
        let blank = Pitch(id: ids.next("pit"), authorId: authorId, now: now)
        let pitch = try PitchChanges.apply(body, to: blank, creating: true)
        return try await write { db in
            try self.insertPitch(pitch, db)
            return pitch
        }
    }

    func insertPitch(_ pitch: Pitch, _ db: Database) throws {
        guard try PersonRecord.exists(db, key: pitch.authorId) else { throw KoblingError.invalid("/authorId", "No such person.") }
        try checkReferences(pitch, db)
        try PitchRecord(pitch).insert(db)
        try SearchIndex.pitches.assignKey(id: pitch.id, db)
        try writePitchIndexes(pitch, db)
    }

    /// Changes what a pitch says: an approved pitch its author changed goes back for approval
    /// (`Pitch.edited`).
    public func updatePitch(id: String, expectedVersion: Int?, body: JSONValue, byOrganiser: Bool) async throws -> Pitch {
        let now = self.now
        return try await changePitch(id: id, expectedVersion: expectedVersion) { current in
            try current.edited(into: try PitchChanges.apply(body, to: current, creating: false), byOrganiser: byOrganiser, now: now)
        }
    }

    /// Moves a pitch along its life cycle.
    public func act(on id: String, _ action: PitchAction, reason: String?, expectedVersion: Int?) async throws -> Pitch {
        let now = self.now
        return try await changePitch(id: id, expectedVersion: expectedVersion) { current in
            try current.applying(action, reason: reason, now: now)
        }
    }

    public func deletePitch(id: String) async throws {
        try await write { db in
            let record = try Self.pitchRecord(id, kind: .pitches, db)
            guard PitchStatus(rawValue: record.status)?.isDeletable ?? true else {
                throw KoblingError.conflict("The pitch is \(record.status); it stays for the record. Close it instead.")
            }
            try SearchIndex.pitches.remove(id: id, db)
            _ = try PitchRecord.deleteOne(db, key: id)
        }
    }

    // MARK: Interest and shortlists

    /// A member says they are interested in a pitch they can see (or no longer are), as
    /// `PitchFollowing` allows.
    public func setInterest(pitchId: String, personId: String, viewer: Viewer, interested: Bool) async throws {
        let now = self.now
        try await write { db in
            var query = ListQuery()
            query.require("x.id = ? AND x.kind = ?", pitchId, RoundKind.pitches.rawValue)
            Self.visible(to: viewer, alias: "x", &query)
            let row = try Row.fetchOne(db, sql: "SELECT x.status, x.authorId FROM pitch x \(query.filterClause)", arguments: query.arguments)
            guard let row else { throw KoblingError.notFound("No such pitch.") }
            guard interested else {
                try db.execute(sql: "DELETE FROM pitchInterest WHERE pitchId = ? AND personId = ?", arguments: [pitchId, personId])
                return
            }
            let status = PitchStatus(rawValue: row["status"]) ?? .draft
            try PitchFollowing.checkInterest(status: status, authorId: row["authorId"], from: personId)
            try db.execute(sql: """
                INSERT INTO pitchInterest (pitchId, personId, createdAt) VALUES (?, ?, ?)
                ON CONFLICT (pitchId, personId) DO NOTHING
                """, arguments: [pitchId, personId, now])
        }
    }

    /// The author puts a person on the pitch's shortlist (or takes them off).
    public func setShortlisted(pitchId: String, personId: String, shortlisted: Bool) async throws {
        let now = self.now
        try await write { db in
            let record = try Self.pitchRecord(pitchId, kind: .pitches, db)
            guard shortlisted else {
                try db.execute(sql: "DELETE FROM pitchShortlist WHERE pitchId = ? AND personId = ?", arguments: [pitchId, personId])
                return
            }
            guard try PersonRecord.exists(db, key: personId) else { throw KoblingError.notFound("No such person.") }
            try PitchFollowing.checkShortlisting(personId, authorId: record.authorId)
            try db.execute(sql: """
                INSERT INTO pitchShortlist (pitchId, personId, createdAt) VALUES (?, ?, ?)
                ON CONFLICT (pitchId, personId) DO NOTHING
                """, arguments: [pitchId, personId, now])
        }
    }

    /// Who said they are interested in a pitch, or whom its author shortlisted, earliest first.
    public func pitchPeople(pitchId: String, shortlist: Bool) async throws -> [PitchPerson] {
        let table = shortlist ? "pitchShortlist" : "pitchInterest"
        return try await read { db in
            _ = try Self.pitchRecord(pitchId, kind: .pitches, db)
            return try Row.fetchAll(db, sql: """
                SELECT m.personId, p.name, m.createdAt FROM \(table) m JOIN person p ON p.id = m.personId
                WHERE m.pitchId = ? ORDER BY m.createdAt, m.personId
                """, arguments: [pitchId]).map { PitchPerson(personId: $0["personId"], name: $0["name"], since: $0["createdAt"]) }
        }
    }

    // MARK: Within a transaction

    /// What a viewer may see of the pitches under `alias`.
    static func visible(to viewer: Viewer, alias x: String, _ query: inout ListQuery) {
        // `listed` is 1 for approved and matched pitches, and indexed in title order. A member's
        // own pitches are found with a correlated EXISTS, which no index answers, so that the
        // page walks the title order and stops rather than sorting what two indexes found.
        let listed = "\(x).listed = 1"
        switch viewer {
        case .organiser: break
        case .anonymous: query.require("\(listed) AND \(x).visibility = 'public'")
        case .member(let accountId):
            query.require("(\(listed) OR EXISTS (SELECT 1 FROM person o WHERE o.id = \(x).authorId AND o.accountId = ?))", accountId)
        }
    }

    /// The pitch of `kind` with the id; for another kind there is none (404).
    static func pitchRecord(_ id: String, kind: RoundKind, _ db: Database) throws -> PitchRecord {
        guard let record = try PitchRecord.fetchOne(db, key: id), record.kind == kind.rawValue else {
            throw KoblingError.notFound(kind == .pitches ? "No such pitch." : "No such mentoring request.")
        }
        return record
    }

    func changePitch(
        id: String, kind: RoundKind = .pitches, expectedVersion: Int?, _ change: @escaping @Sendable (Pitch) throws -> Pitch
    ) async throws -> Pitch {
        try await write { db in
            let record = try Self.pitchRecord(id, kind: kind, db)
            let current = try record.pitch()
            if let expectedVersion, expectedVersion != current.version { throw KoblingError.preconditionFailed() }
            let updated = try change(current)
            guard updated != current else { return current }
            try self.checkReferences(updated, db)
            try PitchRecord(updated).update(db)
            try self.writePitchIndexes(updated, db)
            return updated
        }
    }

    /// A person's pitches go with them, and their search entries too, which no foreign key
    /// reaches (left, they would stay in the index until a new pitch took up their key).
    func removePitches(ofAuthor personId: String, _ db: Database) throws {
        for id in try String.fetchAll(db, sql: "SELECT id FROM pitch WHERE authorId = ?", arguments: [personId]) {
            try SearchIndex.pitches.remove(id: id, db)
        }
        try db.execute(sql: "DELETE FROM pitch WHERE authorId = ?", arguments: [personId])
    }

    /// Pitches of an organisation that goes stand on their own: their documents say so too.
    func forgetOrganisation(_ organisationId: String, inPitches db: Database) throws {
        for record in try PitchRecord.filter(sql: "organisationId = ?", arguments: [organisationId]).fetchAll(db) {
            var pitch = try record.pitch()
            pitch.organisationId = nil
            try PitchRecord(pitch).update(db)
        }
    }

    private func checkReferences(_ pitch: Pitch, _ db: Database) throws {
        try checkTags(pitch.tags, pointer: pitch.kind == .mentoring ? "/needs" : "/tags", db)
        if let domain = pitch.clinicalDomain { try checkTags([domain], pointer: "/clinicalDomain", db) }
        if let organisation = pitch.organisationId, try !OrganisationRecord.exists(db, key: organisation) {
            throw KoblingError.invalid("/organisationId", "No such organisation.")
        }
    }

    private func writePitchIndexes(_ pitch: Pitch, _ db: Database) throws {
        for table in ["pitchTag", "pitchRole", "pitchLanguage"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE pitchId = ?", arguments: [pitch.id])
        }
        for tag in pitch.tags + [pitch.clinicalDomain].compactMap({ $0 }) {
            try db.execute(sql: "INSERT INTO pitchTag (pitchId, tagId) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [pitch.id, tag])
        }
        for wanted in pitch.roles {
            try db.execute(sql: "INSERT INTO pitchRole (pitchId, role) VALUES (?, ?)", arguments: [pitch.id, wanted.role.rawValue])
        }
        for language in pitch.languages {
            try db.execute(sql: "INSERT INTO pitchLanguage (pitchId, language) VALUES (?, ?)", arguments: [pitch.id, language])
        }
        let text = [pitch.title, pitch.problem, pitch.dataDescription].compactMap { $0 }.joined(separator: "\n")
        try SearchIndex.pitches.replace(id: pitch.id, texts: [text], db)
    }
}
