import Foundation
import GRDB
import KoblingCore

/// Who a round's email goes to: a person with an account, in their language.
public struct RoundMailRecipient: Sendable, Equatable {
    public var personId: String
    public var name: String
    public var headline: String?
    public var email: String
    public var verified: Bool
    public var language: PreferredLanguage?
}

/// One person's proposals in a published round, for the email that tells them.
public struct ProposalDigest: Sendable {
    public struct Item: Sendable {
        public var proposalId: String
        public var pitchTitle: String
        /// Whether the recipient wrote the pitch (they answer for each person proposed to it).
        public var asAuthor: Bool
        /// The names of the others in the group.
        public var others: [String]
    }

    public var recipient: RoundMailRecipient
    public var roundName: String
    /// A mentoring round's email speaks of mentors and mentoring requests.
    public var kind: RoundKind
    public var deadline: String
    public var items: [Item]
}

/// The introduction of two people who both said yes: each gets the other's contact details.
public struct IntroductionMail: Sendable {
    public var recipient: RoundMailRecipient
    public var other: RoundMailRecipient
    public var pitchTitle: String
    /// Whether the pitch is a startup's mentoring request.
    public var kind: RoundKind
    public var otherNote: String?
}

public typealias DigestComposer = @Sendable (ProposalDigest) throws -> OutboxMail
public typealias IntroductionComposer = @Sendable (IntroductionMail) throws -> OutboxMail

/// Publishing a run, the proposals it makes, the answers to them and the introductions and
/// collaborations the answers lead to.
extension AppDatabase {
    public enum RoundJobKind {
        public static let deadline = "round-deadline"
        public static let reminder = "round-reminder"
    }

    public struct RoundJobPayload: Codable, Sendable {
        public var roundId: String
    }

    /// Publishes a finished run of an open round: a proposal for each member of each group,
    /// one email to each person with an account (once a round,
    /// whatever happens twice), and the jobs that remind and expire at the deadline. Publishing
    /// again, or concurrently, publishes once; another run of a published round is a 409.
    public func publish(roundId: String, runId: String, compose: @escaping DigestComposer) async throws -> Round {
        try await write { db in try self.publish(roundId: roundId, runId: runId, compose: compose, db) }
    }

    /// Publishes in the caller's transaction; without `compose`, no email goes (the seed's
    /// people have no accounts).
    func publish(roundId: String, runId: String, compose: DigestComposer?, _ db: Database) throws -> Round {
        let now = self.now
        let date = clock.now()
        var round = try Self.round(roundId, db)
        if round.status == .published {
            guard round.publishedRunId == runId else {
                throw KoblingError.conflict("The round was published with run \(round.publishedRunId ?? "?"); it is published once.")
            }
            return round
        }
        guard let deadline = round.answerDeadline else {
            throw KoblingError.invalid("/answerDeadline", "Set the round's answer deadline before publishing it.")
        }
        guard deadline > now else { throw KoblingError.invalid("/answerDeadline", "The answer deadline, \(deadline), has passed.") }
        guard let run = try Self.run(runId, db), run.roundId == roundId else { throw KoblingError.invalid("/runId", "The round has no such run.") }
        guard run.status == .done else { throw KoblingError.conflict("The run is \(run.status.rawValue); only a finished run is published.") }
        let result = try String.fetchOne(db, sql: "SELECT result FROM matchRun WHERE id = ?", arguments: [runId]) ?? "{}"
        let groups = try JSONDecoder().decode(PublishedResult.self, from: Data(result.utf8)).groups

        var proposals: [Proposal] = []
        for group in groups {
            guard let record = try PitchRecord.fetchOne(db, key: group.pitchId) else { continue }
            let pitch = try record.pitch()
            // A pitch withdrawn, closed or matched since the run is left out.
            guard pitch.status == .approved else { continue }
            let members = group.members.map(\.personId)
            for personId in members where try PersonRecord.exists(db, key: personId) {
                let proposal = Proposal(
                    id: self.ids.next("prp"), roundId: roundId, runId: runId, pitchId: pitch.id, pitchTitle: pitch.title,
                    personId: personId, authorId: pitch.authorId, group: members, deadline: deadline, now: now)
                try ProposalRecord(proposal).insert(db)
                proposals.append(proposal)
            }
        }
        round.status = .published
        round.publishedRunId = runId
        round.publishedAt = now
        round.updatedAt = now
        round.version += 1
        try RoundRecord(round).update(db)

        let people = try Self.recipients(Set(proposals.flatMap { [$0.personId, $0.authorId] + $0.group }), db)
        var items: [String: [ProposalDigest.Item]] = [:]
        for proposal in proposals {
            let others = proposal.group.filter { $0 != proposal.personId }.compactMap { people[$0]?.name }
            items[proposal.personId, default: []].append(.init(proposalId: proposal.id, pitchTitle: proposal.pitchTitle, asAuthor: false, others: others))
            let name = people[proposal.personId]?.name ?? proposal.personId
            items[proposal.authorId, default: []].append(.init(proposalId: proposal.id, pitchTitle: proposal.pitchTitle, asAuthor: true, others: [name]))
        }
        for (personId, list) in items.sorted(by: { $0.key < $1.key }) {
            guard let compose, let recipient = people[personId], !recipient.email.isEmpty else { continue }
            var mail = try compose(ProposalDigest(recipient: recipient, roundName: round.name, kind: round.kind, deadline: deadline, items: list))
            mail.dedupeKey = "round:\(roundId):proposals:\(personId)"
            try self.enqueue(mail, db)
        }
        let payload = try Job.payload(RoundJobPayload(roundId: roundId))
        _ = try self.enqueue(NewJob(kind: RoundJobKind.deadline, key: "\(RoundJobKind.deadline):\(roundId)", payload: payload,
                                    dueAt: Timestamp.parse(deadline)), db)
        if let due = Timestamp.parse(deadline).map({ $0 - 24 * 3600 }), due > date {
            _ = try self.enqueue(NewJob(kind: RoundJobKind.reminder, key: "\(RoundJobKind.reminder):\(roundId)", payload: payload, dueAt: due), db)
        }
        return round
    }

    /// The caller's proposals, as the person proposed or as the pitch's author, newest first.
    public func proposals(ofPerson personId: String, page: PageRequest) async throws -> DocumentList {
        var query = ListQuery()
        query.require("(x.personId = ? OR x.authorId = ?)", personId, personId)
        if let after = page.after, after.count == 2 { query.require("(x.createdAt, x.id) < (?, ?)", after[0], after[1]) }
        let sql = "SELECT x.document, x.createdAt, x.id FROM proposal x \(query.filterClause) ORDER BY x.createdAt DESC, x.id DESC LIMIT \(page.limit + 1)"
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }

    /// A round's proposals, for organisers, by pitch then person.
    public func proposals(ofRound roundId: String, page: PageRequest) async throws -> DocumentList {
        _ = try await round(id: roundId)
        var query = ListQuery()
        query.require("x.roundId = ?", roundId)
        if let after = page.after, after.count == 2 { query.require("(x.pitchId, x.personId) > (?, ?)", after[0], after[1]) }
        let sql = "SELECT x.document, x.pitchId, x.personId FROM proposal x \(query.filterClause) ORDER BY x.pitchId, x.personId LIMIT \(page.limit + 1)"
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }

    /// A proposal its two sides and organisers see; for anyone else there is none.
    public func proposal(_ id: String, viewer personId: String?, organiser: Bool) async throws -> Proposal {
        try await read { db in
            guard let proposal = try ProposalRecord.fetchOne(db, key: id).map({ try $0.proposal() }),
                  organiser || personId.flatMap(proposal.side(of:)) != nil else {
                throw KoblingError.notFound("No such proposal.")
            }
            return proposal
        }
    }

    /// Records `personId`'s answer. Saying yes takes a verified address, since an introduction
    /// shares it. When both sides have said yes, a collaboration is recorded and each side gets
    /// one introduction email with the other's contact details.
    public func answer(
        proposalId: String, personId: String, interested: Bool, note: String?, introduce: @escaping IntroductionComposer
    ) async throws -> Proposal {
        let now = self.now
        return try await write { db in
            guard let current = try ProposalRecord.fetchOne(db, key: proposalId).map({ try $0.proposal() }),
                  let side = current.side(of: personId) else {
                throw KoblingError.notFound("No such proposal.")
            }
            let people = try Self.recipients([current.personId, current.authorId], db)
            if interested && people[personId]?.verified != true {
                throw KoblingError.conflict("Verify your email address first: an introduction shares it with the other side.")
            }
            let updated = try current.answered(by: side, interested: interested, note: note, now: now)
            return try self.record(updated, from: current, people: people, introduce: introduce, now: now, db)
        }
    }

    /// Writes an answered proposal. When it made both sides' yes: a collaboration, the pitch
    /// matched, and (with `introduce`, and both addresses verified) one introduction each.
    func record(
        _ answered: Proposal, from current: Proposal, people: [String: RoundMailRecipient], introduce: IntroductionComposer?,
        now: String, _ db: Database
    ) throws -> Proposal {
        var updated = answered
        if updated.status == .introduced && current.status != .introduced {
            let collaboration = Collaboration(id: ids.next("col"), proposal: updated, now: now)
            try CollaborationRecord(collaboration).insert(db)
            updated.collaborationId = collaboration.id
            // The pitch found its collaboration: it is matched, and enters no later round.
            let pitch = try PitchRecord.fetchOne(db, key: updated.pitchId)?.pitch()
            if let pitch {
                let matched = pitch.matched(now: now)
                if matched != pitch { try PitchRecord(matched).update(db) }
            }
            if let introduce, let person = people[current.personId], let author = people[current.authorId], person.verified, author.verified {
                for (recipient, other, otherAnswer) in [(person, author, updated.authorAnswer), (author, person, updated.personAnswer)] {
                    var mail = try introduce(IntroductionMail(
                        recipient: recipient, other: other, pitchTitle: updated.pitchTitle, kind: pitch?.kind ?? .pitches, otherNote: otherAnswer?.note))
                    mail.dedupeKey = "introduction:\(updated.id):\(recipient.personId)"
                    try enqueue(mail, db)
                }
            }
        }
        try ProposalRecord(updated).update(db)
        return updated
    }

    /// At a round's deadline: its open proposals expire. Answers how many.
    public func expireProposals(roundId: String) async throws -> Int {
        let now = self.now
        return try await write { db in
            var count = 0
            for record in try ProposalRecord.fetchAll(db, sql: "SELECT * FROM proposal WHERE roundId = ? AND status = 'open'", arguments: [roundId]) {
                let expired = try record.proposal().expired(now: now)
                try ProposalRecord(expired).update(db)
                count += 1
            }
            return count
        }
    }

    /// A day before the deadline: one reminder to each person who has a proposal of the round
    /// still to answer. Answers how many were queued (a second call queues none).
    public func remindUnanswered(roundId: String, compose: @escaping DigestComposer) async throws -> Int {
        try await write { db in
            let round = try Self.round(roundId, db)
            let open = try ProposalRecord.fetchAll(db, sql: "SELECT * FROM proposal WHERE roundId = ? AND status = 'open' ORDER BY id", arguments: [roundId])
                .map { try $0.proposal() }
            let people = try Self.recipients(Set(open.flatMap { [$0.personId, $0.authorId] }), db)
            var items: [String: [ProposalDigest.Item]] = [:]
            for proposal in open {
                for personId in proposal.awaiting {
                    let asAuthor = personId == proposal.authorId
                    let others = asAuthor ? [people[proposal.personId]?.name ?? proposal.personId] : []
                    items[personId, default: []].append(.init(proposalId: proposal.id, pitchTitle: proposal.pitchTitle, asAuthor: asAuthor, others: others))
                }
            }
            var queued = 0
            for (personId, list) in items.sorted(by: { $0.key < $1.key }) {
                guard let recipient = people[personId], !recipient.email.isEmpty else { continue }
                var mail = try compose(ProposalDigest(recipient: recipient, roundName: round.name, kind: round.kind, deadline: round.answerDeadline ?? "", items: list))
                mail.dedupeKey = "round:\(roundId):reminder:\(personId)"
                if try self.enqueue(mail, db) { queued += 1 }
            }
            return queued
        }
    }

    // MARK: - Collaborations

    /// Collaborations newest first: a member's own, every one for organisers.
    public func collaborations(ofPerson personId: String?, page: PageRequest) async throws -> DocumentList {
        var query = ListQuery()
        if let personId { query.require("(x.personId = ? OR x.authorId = ?)", personId, personId) }
        if let after = page.after, after.count == 2 { query.require("(x.createdAt, x.id) < (?, ?)", after[0], after[1]) }
        let sql = "SELECT x.document, x.createdAt, x.id FROM collaboration x \(query.filterClause) ORDER BY x.createdAt DESC, x.id DESC LIMIT \(page.limit + 1)"
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }

    public func collaboration(_ id: String, viewer personId: String?, organiser: Bool) async throws -> Collaboration {
        try await read { db in try Self.collaboration(id, viewer: personId, organiser: organiser, db) }
    }

    /// A change of status or outcome note, by either side or an organiser.
    public func updateCollaboration(
        _ id: String, viewer personId: String?, organiser: Bool, expectedVersion: Int?, body: JSONValue
    ) async throws -> Collaboration {
        let now = self.now
        return try await write { db in
            let current = try Self.collaboration(id, viewer: personId, organiser: organiser, db)
            if let expectedVersion, expectedVersion != current.version { throw KoblingError.preconditionFailed() }
            var updated = try current.changed(by: body, now: now)
            guard updated != current else { return current }
            updated.version += 1
            try CollaborationRecord(updated).update(db)
            return updated
        }
    }

    /// What one side says of the meeting: it was held, or the other side did not come.
    public func recordMeeting(_ id: String, personId: String, outcome: MeetingOutcome) async throws -> Collaboration {
        let now = self.now
        return try await write { db in
            var collaboration = try Self.collaboration(id, viewer: personId, organiser: false, db)
            if personId == collaboration.personId { collaboration.personMeeting = outcome } else { collaboration.authorMeeting = outcome }
            collaboration.updatedAt = now
            collaboration.version += 1
            try CollaborationRecord(collaboration).update(db)
            return collaboration
        }
    }

    // MARK: - Report

    /// A round's report: coverage and scores from the published run (or the latest finished
    /// one), answers, introductions, meetings and collaborations.
    public func roundReport(roundId: String) async throws -> RoundReport {
        try await read { db in
            let round = try Self.round(roundId, db)
            let runId = try round.publishedRunId ?? String.fetchOne(db, sql: """
                SELECT id FROM matchRun WHERE roundId = ? AND status = 'done' ORDER BY createdAt DESC, id DESC LIMIT 1
                """, arguments: [roundId])
            var groups: [RoundReport.Group] = []
            var pitchCount = 0
            if let runId, let text = try String.fetchOne(db, sql: "SELECT result FROM matchRun WHERE id = ?", arguments: [runId]) {
                let result = try JSONDecoder().decode(PublishedResult.self, from: Data(text.utf8))
                pitchCount = result.groups.count + result.unmatchedPitches.count
                for group in result.groups {
                    let pitch = try PitchRecord.fetchOne(db, key: group.pitchId).map { try $0.pitch() }
                    let required = pitch?.roles.filter(\.required) ?? []
                    let met = required.allSatisfy { wanted in group.members.filter { $0.role == wanted.role.rawValue }.count >= wanted.count }
                    groups.append(.init(pitchId: group.pitchId, memberScores: group.members.map(\.score), roleMixMet: met))
                }
            }
            let proposals = try ProposalRecord.fetchAll(db, sql: "SELECT * FROM proposal WHERE roundId = ?", arguments: [roundId]).map { try $0.proposal() }
            let collaborations = try CollaborationRecord.fetchAll(db, sql: "SELECT * FROM collaboration WHERE roundId = ?", arguments: [roundId])
                .map { try $0.collaboration() }
            return RoundReport(roundId: roundId, runId: runId, pitches: pitchCount, groups: groups, proposals: proposals, collaborations: collaborations)
        }
    }

    // MARK: - Rows

    static func collaboration(_ id: String, viewer personId: String?, organiser: Bool, _ db: Database) throws -> Collaboration {
        guard let collaboration = try CollaborationRecord.fetchOne(db, key: id).map({ try $0.collaboration() }),
              organiser || personId == collaboration.personId || personId == collaboration.authorId else {
            throw KoblingError.notFound("No such collaboration.")
        }
        return collaboration
    }

    /// The people among `ids` who have an account, with its address.
    static func recipients(_ ids: Set<String>, _ db: Database) throws -> [String: RoundMailRecipient] {
        let rows = try inChunks(ids.sorted()) { chunk, marks in
            try Row.fetchAll(db, sql: """
                SELECT p.id, p.name, p.headline, a.email, a.emailVerifiedAt, a.language FROM person p LEFT JOIN account a ON a.id = p.accountId
                WHERE p.id IN (\(marks))
                """, arguments: StatementArguments(chunk))
        }
        var result: [String: RoundMailRecipient] = [:]
        for row in rows {
            let id: String = row["id"]
            result[id] = RoundMailRecipient(
                personId: id, name: row["name"], headline: row["headline"], email: row["email"] ?? "",
                verified: (row["emailVerifiedAt"] as String?) != nil, language: (row["language"] as String?).flatMap(PreferredLanguage.init(rawValue:)))
        }
        return result
    }
}

/// The part of a run's result that publishing and the report read.
struct PublishedResult: Decodable {
    struct Member: Decodable {
        var personId: String
        var role: String
        var score: Double
    }

    struct Group: Decodable {
        var pitchId: String
        var members: [Member]
    }

    struct LeftOut: Decodable {
        var id: String
    }

    var groups: [Group]
    var unmatchedPitches: [LeftOut]
}

struct ProposalRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "proposal"
    var id: String
    var roundId: String
    var pitchId: String
    var personId: String
    var authorId: String
    var status: String
    var createdAt: String
    var document: String

    init(_ proposal: Proposal) {
        id = proposal.id
        roundId = proposal.roundId
        pitchId = proposal.pitchId
        personId = proposal.personId
        authorId = proposal.authorId
        status = proposal.status.rawValue
        createdAt = proposal.createdAt
        document = JSONDocument.render(proposal)
    }

    func proposal() throws -> Proposal {
        try JSONDecoder().decode(Proposal.self, from: Data(document.utf8))
    }
}

struct CollaborationRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "collaboration"
    var id: String
    var roundId: String
    var proposalId: String
    var pitchId: String
    var personId: String
    var authorId: String
    var status: String
    var createdAt: String
    var version: Int
    var document: String

    init(_ collaboration: Collaboration) {
        id = collaboration.id
        roundId = collaboration.roundId
        proposalId = collaboration.proposalId
        pitchId = collaboration.pitchId
        personId = collaboration.personId
        authorId = collaboration.authorId
        status = collaboration.status.rawValue
        createdAt = collaboration.createdAt
        version = collaboration.version
        document = JSONDocument.render(collaboration)
    }

    func collaboration() throws -> Collaboration {
        var collaboration = try JSONDecoder().decode(Collaboration.self, from: Data(document.utf8))
        collaboration.version = version
        return collaboration
    }
}
