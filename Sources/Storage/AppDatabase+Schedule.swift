import Foundation
import GRDB
import KoblingCore

/// What a session is planned from: a published round's groups and the names of their people.
public struct SessionInput: Sendable {
    public var round: Round
    public var runId: String
    public var groups: [SessionSchedule.Group]
    public var names: [String: String]
}

/// One person's meetings at a round's session, for the email that tells them.
public struct MeetingsMail: Sendable {
    public var recipient: RoundMailRecipient
    public var roundName: String
    public var meetings: [PersonMeeting]
}

public typealias MeetingsComposer = @Sendable (MeetingsMail) throws -> OutboxMail

/// A round's matchmaking session: the schedule an organiser made, and each person's meetings in
/// it, which are theirs alone to read.
extension AppDatabase {
    /// The groups of a published round as they will meet. A round not yet published has no
    /// groups to place (409).
    public func sessionInput(roundId: String) async throws -> SessionInput {
        try await read { db in
            let round = try Self.round(roundId, db)
            guard round.status == .published, let runId = round.publishedRunId else {
                throw KoblingError.conflict("The round is \(round.status.rawValue); a session places the groups of a published round.")
            }
            let proposals = try ProposalRecord.fetchAll(db, sql: "SELECT * FROM proposal WHERE roundId = ? ORDER BY pitchId, personId", arguments: [roundId])
                .map { try $0.proposal() }
            let groups = SessionSchedule.groups(of: proposals)
            let names = try Self.recipients(Set(groups.flatMap(\.people)), db).mapValues(\.name)
            return SessionInput(round: round, runId: runId, groups: groups, names: names)
        }
    }

    /// Keeps `schedule` as the round's session, in place of any before it, with each person's
    /// meetings. The round must still be published with the run it was planned from (409).
    public func saveSchedule(_ schedule: SessionSchedule) async throws {
        try await write { db in
            let round = try Self.round(schedule.roundId, db)
            guard round.status == .published, round.publishedRunId == schedule.runId else {
                throw KoblingError.conflict("The round changed while its session was planned; plan it again.")
            }
            try self.store(schedule, roundName: round.name, db)
        }
    }

    /// Emails each person in the round's session their meetings, through the outbox, and
    /// answers how many emails were queued. Each email is kept apart by the meetings it tells
    /// (their times, tables and pitches), so that telling again after the session was planned
    /// again writes only to those whose meetings changed, and telling twice writes once.
    public func notifySession(roundId: String, compose: @escaping MeetingsComposer) async throws -> Int {
        try await write { db in
            let round = try Self.round(roundId, db)
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sessionSchedule WHERE roundId = ?)", arguments: [roundId]) == true else {
                throw KoblingError.conflict("The round's session is not planned yet; plan it before telling its people.")
            }
            var meetings: [String: [PersonMeeting]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT personId, document FROM sessionMeeting WHERE roundId = ? ORDER BY personId, startsAt, pitchId
                """, arguments: [roundId])
            let decoder = JSONDecoder()
            while let row = try rows.next() {
                meetings[row[0], default: []].append(try decoder.decode(PersonMeeting.self, from: Data((row[1] as String).utf8)))
            }
            let people = try Self.recipients(Set(meetings.keys), db)
            var queued = 0
            for (personId, list) in meetings.sorted(by: { $0.key < $1.key }) {
                guard let recipient = people[personId], !recipient.email.isEmpty else { continue }
                var mail = try compose(MeetingsMail(recipient: recipient, roundName: round.name, meetings: list))
                let told = list.map { "\($0.start)/\($0.table)/\($0.pitchId)" }.joined(separator: ",")
                mail.dedupeKey = "session:\(roundId):\(personId):\(told)"
                if try self.enqueue(mail, db) { queued += 1 }
            }
            return queued
        }
    }

    /// A person erased leaves every session they were in: their meetings go (by foreign key) and
    /// their name leaves the others' documents.
    func forgetInSessions(_ personId: String, _ db: Database) throws {
        let rows = try Row.fetchAll(db, sql: """
            SELECT s.document, r.name FROM sessionSchedule s JOIN matchRound r ON r.id = s.roundId WHERE s.document LIKE ?
            """, arguments: ["%\"personId\":\"\(personId)\"%"])
        for row in rows {
            let schedule = try JSONDecoder().decode(SessionSchedule.self, from: Data((row[0] as String).utf8))
            let without = schedule.without(personId)
            if without != schedule { try store(without, roundName: row[1], db) }
        }
    }

    /// Writes a session and each person's meetings in it, in place of what the round had.
    private func store(_ schedule: SessionSchedule, roundName: String, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO sessionSchedule (roundId, createdAt, document) VALUES (?, ?, ?)
            ON CONFLICT (roundId) DO UPDATE SET createdAt = excluded.createdAt, document = excluded.document
            """, arguments: [schedule.roundId, schedule.createdAt, JSONDocument.render(schedule)])
        try db.execute(sql: "DELETE FROM sessionMeeting WHERE roundId = ?", arguments: [schedule.roundId])
        let people = Set(schedule.slots.flatMap { $0.meetings.flatMap { $0.people.map(\.personId) } })
        for personId in people.sorted() where try PersonRecord.exists(db, key: personId) {
            for meeting in schedule.meetings(of: personId, roundName: roundName) {
                try db.execute(sql: """
                    INSERT INTO sessionMeeting (roundId, pitchId, personId, startsAt, document) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [meeting.roundId, meeting.pitchId, personId, meeting.start, JSONDocument.render(meeting)])
            }
        }
    }

    /// A round's session as its organiser planned it, or nil before one is planned.
    public func scheduleDocument(roundId: String) async throws -> StoredDocument? {
        _ = try await round(id: roundId)
        return try await document(sql: "SELECT document FROM sessionSchedule WHERE roundId = ?", arguments: [roundId])
    }

    /// A person's meetings in every round's session, in time order.
    public func meetings(ofPerson personId: String, page: PageRequest) async throws -> DocumentList {
        var query = ListQuery()
        query.require("x.personId = ?", personId)
        if let after = page.after, after.count == 3 { query.require("(x.startsAt, x.roundId, x.pitchId) > (?, ?, ?)", after[0], after[1], after[2]) }
        let sql = """
            SELECT x.document, x.startsAt, x.roundId, x.pitchId FROM sessionMeeting x \(query.filterClause)
            ORDER BY x.startsAt, x.roundId, x.pitchId LIMIT \(page.limit + 1)
            """
        return try await documentPage(sql: sql, arguments: query.arguments, limit: page.limit)
    }
}
