import Foundation
import GRDB
import KoblingCore

/// Match rounds: their settings, the organiser's locks and blocks, and their runs. A run is
/// written with the job that runs it in one transaction; the job reads the community
/// (`beginRun`) and writes the engine's result (`finishRun`), each safe to do twice.
extension AppDatabase {
    public func createRound(_ body: JSONValue) async throws -> Round {
        let round = try RoundChanges.apply(body, to: Round(id: ids.next("rnd"), name: "", now: now), creating: true)
        return try await write { db in
            try self.checkReferences(round, db)
            try RoundRecord(round).insert(db)
            return round
        }
    }

    public func rounds(page: PageRequest) async throws -> DocumentList {
        var query = ListQuery()
        if let after = page.after, after.count == 2 { query.require("(x.createdAt, x.id) < (?, ?)", after[0], after[1]) }
        let sql = "SELECT x.document, x.createdAt, x.id FROM matchRound x \(query.filterClause) ORDER BY x.createdAt DESC, x.id DESC LIMIT \(page.limit + 1)"
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }

    public func roundDocument(id: String) async throws -> StoredDocument? {
        try await document(sql: "SELECT document, version FROM matchRound WHERE id = ?", arguments: [id])
    }

    public func round(id: String) async throws -> Round {
        try await read { db in try Self.round(id, db) }
    }

    public func updateRound(id: String, expectedVersion: Int?, body: JSONValue) async throws -> Round {
        let now = self.now
        return try await write { db in
            let current = try Self.round(id, db)
            if let expectedVersion, expectedVersion != current.version { throw KoblingError.preconditionFailed() }
            try current.checkEditable()
            var updated = try RoundChanges.apply(body, to: current, creating: false)
            guard updated != current else { return current }
            try self.checkReferences(updated, db)
            updated.updatedAt = now
            updated.version += 1
            try RoundRecord(updated).update(db)
            return updated
        }
    }

    /// Locks or blocks a pair in an open round, or (`rule` nil) lifts what was set. A pair is
    /// locked or blocked, never both; locks fit the round: no more of them for a pitch than its
    /// group takes, nor for a person than the round's capacity.
    public func setPairRule(roundId: String, pitchId: String, personId: String, rule: PairRule?, expected: PairRule) async throws {
        let now = self.now
        try await write { db in
            let round = try Self.round(roundId, db)
            try round.checkEditable()
            let current = try String.fetchOne(db, sql: "SELECT rule FROM matchPairRule WHERE roundId = ? AND pitchId = ? AND personId = ?",
                                              arguments: [roundId, pitchId, personId]).flatMap(PairRule.init(rawValue:))
            guard let rule else {
                if current == expected {
                    try db.execute(sql: "DELETE FROM matchPairRule WHERE roundId = ? AND pitchId = ? AND personId = ?", arguments: [roundId, pitchId, personId])
                }
                return
            }
            if current == rule { return }
            if let current { throw KoblingError.conflict("The pair is \(current == .lock ? "locked" : "blocked") in this round; lift that first.") }
            guard let record = try PitchRecord.fetchOne(db, key: pitchId) else { throw KoblingError.notFound("No such pitch.") }
            guard let person = try PersonRecord.fetchOne(db, key: personId) else { throw KoblingError.notFound("No such person.") }
            if rule == .lock {
                let pitch = try record.pitch()
                guard pitch.kind == round.kind else {
                    throw KoblingError.invalid("/pitchId", round.kind == .mentoring
                        ? "A mentoring round takes mentoring requests, not pitches." : "That is a mentoring request; the round takes pitches.")
                }
                guard pitch.status == .approved else {
                    throw KoblingError.invalid("/pitchId", "The pitch is \(pitch.status.rawValue); only approved pitches enter a round.")
                }
                guard pitch.authorId != personId else { throw KoblingError.invalid("/personId", "They wrote the pitch.") }
                let matchable = try Bool.fetchOne(db, sql: "SELECT matchableSince IS NOT NULL FROM person WHERE id = ?", arguments: [personId]) ?? false
                guard matchable else { throw KoblingError.invalid("/personId", "They have not consented to be matched.") }
                let largest = round.groupSize?.max ?? pitch.groupSize.max
                let pitchLocks = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM matchPairRule WHERE roundId = ? AND pitchId = ? AND rule = 'lock'", arguments: [roundId, pitchId]) ?? 0
                guard pitchLocks < largest else {
                    throw KoblingError.invalid("/pitchId", "The pitch has \(pitchLocks) locked pairs already, as many as its group takes.")
                }
                let personLocks = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM matchPairRule WHERE roundId = ? AND personId = ? AND rule = 'lock'", arguments: [roundId, personId]) ?? 0
                let capacity = round.capacity(of: person.menteeCapacity)
                guard personLocks < capacity else {
                    throw KoblingError.invalid("/personId", "They have \(personLocks) locked pairs already, as many as they take in this round (\(capacity)).")
                }
            }
            try db.execute(sql: """
                INSERT INTO matchPairRule (roundId, pitchId, personId, rule, createdAt) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (roundId, pitchId, personId) DO NOTHING
                """, arguments: [roundId, pitchId, personId, rule.rawValue, now])
        }
    }

    /// The round's locks and blocks, by pitch then person.
    public func pairRules(roundId: String) async throws -> [(pair: RoundCommunity.Pair, rule: PairRule)] {
        try await read { db in
            _ = try Self.round(roundId, db)
            return try Self.pairRules(roundId, db)
        }
    }

    /// A run of the round, queued with its job in one transaction. A round runs over something:
    /// it names no pitch that is not approved, and finds approved pitches and people to match
    /// (422 naming the part that is empty). With a run queued or running, 409.
    public func startRun(roundId: String) async throws -> RoundRun {
        let now = self.now
        return try await write { db in try self.queueRun(of: try Self.round(roundId, db), now: now, db) }
    }

    func queueRun(of round: Round, now: String, _ db: Database) throws -> RoundRun {
        let roundId = round.id
        try round.checkEditable()
        if let active = try String.fetchOne(db, sql: "SELECT id FROM matchRun WHERE roundId = ? AND status IN ('queued', 'running')", arguments: [roundId]) {
            throw KoblingError.conflict("The round's run \(active) has not finished; wait for it, then run again.")
        }
        let unfiltered = round.pitches.ids == nil && round.pitches.tags.isEmpty && round.pitches.roles.isEmpty && round.pitches.languages.isEmpty
        let any = unfiltered
            ? try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pitch WHERE status = 'approved')") ?? false
            : try !Self.roundPitches(round, db).isEmpty
        guard any else {
            throw KoblingError.invalid("/pitches", "The round takes no approved pitch: approve some, or widen its selection.")
        }
        let solvers = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM person WHERE matchableSince IS NOT NULL") ?? 0
        guard solvers > 0 else { throw KoblingError.invalid("/solvers", "Nobody has consented to be matched yet.") }
        let runId = self.ids.next("run")
        let job = try self.enqueue(NewJob(kind: RoundRun.jobKind, key: "round-run:\(runId)",
                                          payload: try Job.payload(RoundRun.JobPayload(runId: runId)), maxAttempts: 3), db)
        let run = RoundRun(id: runId, roundId: roundId, jobId: job.id, now: now)
        do {
            try db.execute(sql: """
                INSERT INTO matchRun (id, roundId, status, jobId, createdAt, settings, document) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run.id, roundId, run.status.rawValue, job.id, now, JSONDocument.render(round), JSONDocument.render(run)])
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw KoblingError.conflict("The round has a run that has not finished; wait for it, then run again.")
        }
        return run
    }

    public func runs(roundId: String, page: PageRequest) async throws -> DocumentList {
        _ = try await round(id: roundId)
        var query = ListQuery()
        query.require("x.roundId = ?", roundId)
        if let after = page.after, after.count == 2 { query.require("(x.createdAt, x.id) < (?, ?)", after[0], after[1]) }
        // Lists leave each run's result out: it is read one run at a time.
        let sql = """
            SELECT x.document, x.createdAt, x.id FROM matchRun x \(query.filterClause)
            ORDER BY x.createdAt DESC, x.id DESC LIMIT \(page.limit + 1)
            """
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }

    /// A run's document with the engine's result (`"result"`, null until it is done).
    public func runDocument(roundId: String, runId: String) async throws -> StoredDocument? {
        try await readStatement { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT document, result FROM matchRun WHERE id = ? AND roundId = ?", arguments: [runId, roundId]) else {
                return nil
            }
            let document: String = row["document"]
            let result: String = row["result"] ?? "null"
            var bytes = Array(document.utf8.dropLast())
            bytes.append(contentsOf: ",\"result\":".utf8)
            bytes.append(contentsOf: result.utf8)
            bytes.append(UInt8(ascii: "}"))
            return StoredDocument(bytes: bytes, version: nil)
        }
    }

    /// How many runs of the rounds `ids` are queued or running.
    public func activeRuns(ofRounds ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM matchRun WHERE status IN ('queued', 'running') AND roundId IN (\(databaseQuestionMarks(count: ids.count)))
                """, arguments: StatementArguments(ids)) ?? 0
        }
    }

    public func run(id: String) async throws -> RoundRun? {
        try await read { db in try Self.run(id, db) }
    }

    /// Marks the run running and reads what it runs on: the round's settings as the run began,
    /// the community as it is now. Nil when the run is over (a second delivery of its job).
    public func beginRun(_ runId: String) async throws -> RoundCommunity? {
        let now = self.now
        let round = try await write { db -> Round? in
            guard var run = try Self.run(runId, db), run.status.isActive else { return nil }
            guard let settings = try String.fetchOne(db, sql: "SELECT settings FROM matchRun WHERE id = ?", arguments: [runId]) else { return nil }
            if run.status == .queued {
                run.status = .running
                run.startedAt = now
                try db.execute(sql: "UPDATE matchRun SET status = 'running', document = ? WHERE id = ?", arguments: [JSONDocument.render(run), runId])
            }
            return try JSONDecoder().decode(Round.self, from: Data(settings.utf8))
        }
        guard let round else { return nil }
        // The community is read in a read transaction, a consistent view that holds up no writer.
        return try await read { db in try self.community(of: round, db) }
    }

    /// Records a run's result, as JSON text, unless the run is over already. The time this
    /// write takes goes into `stages.storingSeconds`, after the encoding's.
    public func finishRun(_ runId: String, objective: Int, result: String, stages: RunStages) async throws {
        let now = self.now
        try await write { db in
            let began = ContinuousClock.now
            guard var run = try Self.run(runId, db), run.status.isActive else { return }
            run.status = .done
            run.finishedAt = now
            run.objective = objective
            var stages = stages
            let writing = ContinuousClock.now - began
            stages.storingSeconds += Double(writing.components.seconds) + Double(writing.components.attoseconds) / 1e18
            run.stages = stages
            if run.startedAt == nil { run.startedAt = now }
            try db.execute(sql: "UPDATE matchRun SET status = 'done', document = ?, result = ? WHERE id = ?", arguments: [JSONDocument.render(run), result, runId])
        }
    }

    /// Records why a run failed, unless it is over already.
    public func failRun(_ runId: String, reason: String) async throws {
        let now = self.now
        try await write { db in
            guard var run = try Self.run(runId, db), run.status.isActive else { return }
            run.status = .failed
            run.reason = reason
            run.finishedAt = now
            try db.execute(sql: "UPDATE matchRun SET status = 'failed', document = ? WHERE id = ?", arguments: [JSONDocument.render(run), runId])
        }
    }

    // MARK: - Reading a round's community

    /// What a run of the round would read now.
    public func roundCommunity(roundId: String) async throws -> RoundCommunity {
        try await read { db in try self.community(of: try Self.round(roundId, db), db) }
    }

    func community(of round: Round, _ db: Database) throws -> RoundCommunity {
        // Decoding the pitches' documents, a fifth of a national round's reading, goes on aside
        // while this connection reads the people's tags, organisations and conflicts.
        let records = try Self.roundPitchRecords(round, db)
        let decoding = Aside(name: "kobling.pitches") { try Self.pitches(of: records, in: round) }
        let tags = try Self.grouped(db, "SELECT personId, tagId FROM personTag ORDER BY personId, position")
        let organisations = try Self.grouped(db, "SELECT personId, organisationId FROM membership ORDER BY personId, organisationId")
        var conflicts = try Self.grouped(db, "SELECT personId, target FROM conflictOfInterest ORDER BY personId, target")
        let pitches = try decoding.value()
        let pitchIds = Set(pitches.map(\.id))
        // A national round reads hundreds of thousands of these rows: by cursor and by column
        // index, so that no row is kept and no column is looked up by name.
        var shortlists: [String: [String]] = [:]
        try Self.forEachPair(db, "SELECT pitchId, personId FROM pitchShortlist ORDER BY pitchId, personId") { pitchId, personId in
            if pitchIds.contains(pitchId) { shortlists[pitchId, default: []].append(personId) }
        }
        var interested: [String: [String]] = [:]
        try Self.forEachPair(db, "SELECT personId, pitchId FROM pitchInterest ORDER BY personId, pitchId") { personId, pitchId in
            if pitchIds.contains(pitchId) { interested[personId, default: []].append(pitchId) }
        }
        for pitch in pitches { conflicts[pitch.authorId, default: []].append(pitch.id) }
        // "No thanks" carries across rounds: a pair either side declined is never proposed
        // again. Pairs introduced before are history, for the novelty factor.
        var personDeclined: [String: [String]] = [:]
        var authorDeclined: [String: [String]] = [:]
        var met: [RoundCommunity.Pair] = []
        for record in try ProposalRecord.fetchAll(db, sql: "SELECT * FROM proposal WHERE status IN ('declined', 'introduced') ORDER BY id") {
            let proposal = try record.proposal()
            guard pitchIds.contains(proposal.pitchId) else { continue }
            if proposal.status == .introduced { met.append(.init(pitchId: proposal.pitchId, personId: proposal.personId)) }
            if proposal.personAnswer?.interested == false { personDeclined[proposal.personId, default: []].append(proposal.pitchId) }
            if proposal.authorAnswer?.interested == false { authorDeclined[proposal.pitchId, default: []].append(proposal.personId) }
        }

        let decoder = JSONDecoder()
        var members: [RoundCommunity.Member] = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, roles, languages, headline, bio, availabilityHoursPerMonth, menteeCapacity FROM person
            WHERE matchableSince IS NOT NULL ORDER BY id
            """)
        while let row = try rows.next() {
            let id: String = row[0]
            let roles = Self.strings(row[1], decoder).compactMap(PersonRole.init(rawValue:))
            let personTags = tags[id] ?? []
            let personOrganisations = organisations[id] ?? []
            guard let role = round.role(of: roles, tags: personTags, organisations: personOrganisations) else { continue }
            // A mentor who takes no mentees now is left out of mentoring rounds.
            let capacity = round.capacity(of: row[6])
            guard capacity > 0 else { continue }
            let headline: String? = row[3], bio: String? = row[4]
            let text = [headline, bio].compactMap { $0 }.joined(separator: "\n")
            members.append(RoundCommunity.Member(
                id: id, role: role, tags: personTags, text: text,
                languages: Self.strings(row[2], decoder),
                hoursPerMonth: row[5], organisations: personOrganisations,
                interested: interested[id] ?? [], declined: personDeclined[id] ?? [], conflicts: conflicts[id] ?? [],
                capacity: capacity))
        }
        var locked: [RoundCommunity.Pair] = []
        var blocked: [RoundCommunity.Pair] = []
        for (pair, rule) in try Self.pairRules(round.id, db) where pitchIds.contains(pair.pitchId) {
            if rule == .lock { locked.append(pair) } else { blocked.append(pair) }
        }
        var community = RoundCommunity(
            round: round,
            pitches: pitches.map { RoundCommunity.Candidate(pitch: $0, shortlisted: shortlists[$0.id] ?? [], declined: authorDeclined[$0.id] ?? []) },
            members: members, tags: try TagRecord.order(Column("id")).fetchAll(db).map(\.tag),
            locked: locked, blocked: blocked)
        community.met = met
        return community
    }

    /// Each row of a query of two text columns, in order.
    static func forEachPair(_ db: Database, _ sql: String, _ body: (String, String) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: sql)
        while let row = try rows.next() { try body(row[0], row[1]) }
    }

    /// A query of two text columns, the second's values gathered under the first's, in order.
    static func grouped(_ db: Database, _ sql: String) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        try forEachPair(db, sql) { key, value in result[key, default: []].append(value) }
        return result
    }

    /// A JSON array of plain strings, as the person table keeps roles and languages: read byte
    /// by byte when no string holds an escape (tens of thousands of rows are read at once),
    /// else with the decoder.
    static func strings(_ text: String, _ decoder: JSONDecoder) -> [String] {
        var text = text
        let plain: [String]? = text.withUTF8 { bytes in
            let quote = UInt8(ascii: "\""), space = UInt8(ascii: " ")
            guard bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]"), !bytes.contains(UInt8(ascii: "\\")) else { return nil }
            var items: [String] = []
            var index = 1
            let end = bytes.count - 1
            while index < end {
                let byte = bytes[index]
                if byte == space || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") { index += 1; continue }
                guard byte == quote else { return nil }
                var close = index + 1
                while close < end && bytes[close] != quote { close += 1 }
                guard close < end else { return nil }
                items.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[(index + 1)..<close]), as: UTF8.self))
                index = close + 1
            }
            return items
        }
        return plain ?? (try? decoder.decode([String].self, from: Data(text.utf8))) ?? []
    }

    /// The round's approved pitches, by id.
    static func roundPitches(_ round: Round, _ db: Database) throws -> [Pitch] {
        try pitches(of: try roundPitchRecords(round, db), in: round)
    }

    /// The rows of the pitches a round may take: its own list, or every approved pitch of its kind.
    static func roundPitchRecords(_ round: Round, _ db: Database) throws -> [PitchRecord] {
        if let ids = round.pitches.ids {
            return try Self.inChunks(ids) { chunk, marks in
                try PitchRecord.fetchAll(db, sql: "SELECT * FROM pitch WHERE status = 'approved' AND kind = ? AND id IN (\(marks))",
                                         arguments: [round.kind.rawValue] + StatementArguments(chunk))
            }
        }
        return try PitchRecord.fetchAll(db, sql: "SELECT * FROM pitch WHERE status = 'approved' AND kind = ?", arguments: [round.kind.rawValue])
    }

    /// The pitches of `records` that the round takes (those its filter admits), by id.
    static func pitches(of records: [PitchRecord], in round: Round) throws -> [Pitch] {
        try records.map { try $0.pitch() }.filter { round.pitches.ids != nil || round.pitches.admits($0) }.sorted { $0.id < $1.id }
    }

    // MARK: - Rows

    /// `fetch` over `ids` 500 at a time (`marks` holds the chunk's placeholders), so that a
    /// long list stays within every store's limit on bound parameters.
    static func inChunks<T>(_ ids: [String], _ fetch: (_ chunk: [String], _ marks: String) throws -> [T]) rethrows -> [T] {
        var result: [T] = []
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            result += try fetch(chunk, databaseQuestionMarks(count: chunk.count))
        }
        return result
    }

    static func round(_ id: String, _ db: Database) throws -> Round {
        guard let record = try RoundRecord.fetchOne(db, key: id) else { throw KoblingError.notFound("No such match round.") }
        return try record.round()
    }

    static func run(_ id: String, _ db: Database) throws -> RoundRun? {
        guard let document = try String.fetchOne(db, sql: "SELECT document FROM matchRun WHERE id = ?", arguments: [id]) else { return nil }
        return try JSONDecoder().decode(RoundRun.self, from: Data(document.utf8))
    }

    static func pairRules(_ roundId: String, _ db: Database) throws -> [(pair: RoundCommunity.Pair, rule: PairRule)] {
        try Row.fetchAll(db, sql: "SELECT pitchId, personId, rule FROM matchPairRule WHERE roundId = ? ORDER BY pitchId, personId", arguments: [roundId])
            .compactMap { row in
                PairRule(rawValue: row["rule"]).map { (RoundCommunity.Pair(pitchId: row["pitchId"], personId: row["personId"]), $0) }
            }
    }


    func checkReferences(_ round: Round, _ db: Database) throws {
        try checkTags(round.pitches.tags, pointer: "/pitches/tags", db)
        try checkTags(round.solvers.tags, pointer: "/solvers/tags", db)
        var validator = Validator()
        for (index, id) in round.solvers.organisations.enumerated() where try !OrganisationRecord.exists(db, key: id) {
            validator.add("/solvers/organisations/\(index)", "No such organisation.")
        }
        if let ids = round.pitches.ids {
            let known = Set(try Self.inChunks(ids) { chunk, marks in
                try String.fetchAll(db, sql: "SELECT id FROM pitch WHERE id IN (\(marks))", arguments: StatementArguments(chunk))
            })
            for (index, id) in ids.enumerated() where !known.contains(id) { validator.add("/pitches/ids/\(index)", "No such pitch.") }
        }
        try validator.finish()
    }
}

/// A round as stored: its JSON document holds every setting.
struct RoundRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "matchRound"
    var id: String
    var name: String
    var status: String
    var createdAt: String
    var updatedAt: String
    var version: Int
    var document: String

    init(_ round: Round) {
        id = round.id
        name = round.name
        status = round.status.rawValue
        createdAt = round.createdAt
        updatedAt = round.updatedAt
        version = round.version
        document = JSONDocument.render(round)
    }

    func round() throws -> Round {
        var round = try JSONDecoder().decode(Round.self, from: Data(document.utf8))
        round.version = version
        return round
    }
}
