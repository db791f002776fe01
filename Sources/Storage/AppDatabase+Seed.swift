import GRDB
import KoblingCore

extension AppDatabase {
    /// Loads the demo community, adding only what is not there yet (by id), so that seeding twice
    /// changes nothing and never overwrites what people have since edited. Sent issues are
    /// rendered for the archive with `renderArchive`.
    public func seed(_ data: SeedData, renderArchive: @escaping ArchiveRenderer) async throws -> SeedReport {
        let now = self.now
        return try await write { db in
            var report = SeedReport()
            for tag in data.tags where try !TagRecord.exists(db, key: tag.id) {
                guard Tag.isValidID(tag.id) else { throw KoblingError.invalid("/tags/\(tag.id)", "Invalid tag id.") }
                try self.saveTag(tag, insert: true, db)
                report.tags += 1
            }
            for seed in data.organisations where try !OrganisationRecord.exists(db, key: seed.id) {
                try self.insertOrganisation(Organisation(
                    id: seed.id, kind: seed.kind, name: seed.name, description: seed.description, website: seed.website,
                    region: seed.region, tags: seed.tags ?? [], createdAt: now, updatedAt: now), db)
                report.organisations += 1
            }
            for seed in data.people {
                if try !PersonRecord.exists(db, key: seed.id) {
                    try self.insertPerson(Person(
                        id: seed.id, name: seed.name, headline: seed.headline, bio: seed.bio, roles: seed.roles, tags: seed.tags,
                        languages: seed.languages, region: seed.region, availabilityHoursPerMonth: seed.availabilityHoursPerMonth,
                        links: seed.links ?? [], matchableSince: seed.matchable == true ? now : nil,
                        publicFields: seed.publicFields ?? PersonField.allCases, createdAt: now, updatedAt: now,
                        menteeCapacity: seed.menteeCapacity), accountId: nil, db)
                    report.people += 1
                }
                for membership in seed.memberships ?? [] {
                    try db.execute(sql: """
                        INSERT INTO membership (organisationId, personId, role, title, createdAt) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT DO NOTHING
                        """, arguments: [membership.organisation, seed.id, membership.role.rawValue, membership.title, now])
                    report.memberships += db.changesCount
                }
            }
            try self.renderMemberships(where: "m.document = ''", [], db)
            for seed in data.pitches where try !PitchRecord.exists(db, key: seed.id) {
                try self.insertPitch(try Self.seeded(seed, now: now), db)
                report.pitches += 1
            }
            for seed in data.mentoring where try !PitchRecord.exists(db, key: seed.id) {
                let blank = MentoringChanges.blank(id: seed.id, requesterId: seed.requester, now: now)
                try self.insertPitch(try MentoringChanges.apply(seed.body, to: blank, creating: true, now: now), db)
                report.mentoringRequests += 1
            }
            for seed in data.rounds {
                var round: Round
                if let record = try RoundRecord.fetchOne(db, key: seed.id) {
                    round = try record.round()
                } else {
                    round = try RoundChanges.apply(seed.settings, to: Round(id: seed.id, name: "", now: now), creating: true)
                    if let days = seed.answerDeadlineInDays { round.answerDeadline = Timestamp.string(self.clock.now().addingTimeInterval(Double(days) * 86_400)) }
                    try self.checkReferences(round, db)
                    try RoundRecord(round).insert(db)
                    report.rounds += 1
                }
                let runs = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM matchRun WHERE roundId = ?", arguments: [round.id]) ?? 0
                if runs == 0 && round.status == .open {
                    _ = try self.queueRun(of: round, now: now, db)
                    report.runs += 1
                }
            }
            // A seed writes the search indexes row by row: merged into one segment each, a search
            // reads one b-tree instead of many.
            for index in SearchIndex.all { try index.optimize(db) }
            if let newsletter = data.newsletter {
                try seedNewsletter(newsletter, now: now, report: &report, db)
                try self.renderArchive(where: "i.status = 'sent' AND i.archiveEntry IS NULL", [], renderArchive, db)
            }
            return report
        }
    }

    /// A seeded pitch, taken through the life cycle to the status it has reached.
    private static func seeded(_ seed: SeedData.SeedPitch, now: String) throws -> Pitch {
        var pitch = try PitchChanges.apply(seed.body, to: Pitch(id: seed.id, authorId: seed.author, now: now), creating: true)
        let steps: [PitchAction] = switch seed.status {
        case .draft: []
        case .submitted: [.submit]
        case .approved: [.submit, .approve]
        case .returned: [.submit, .return]
        case .closed: [.submit, .approve, .close]
        case .withdrawn: [.withdraw]
        case .matched: throw KoblingError.invalid("/pitches/\(seed.id)/status", "A pitch is matched by a published round.")
        }
        for step in steps { pitch = try pitch.applying(step, reason: "Returned by the seed.", now: now) }
        pitch.version = 1
        return pitch
    }

    private func seedNewsletter(_ newsletter: SeedData.SeedNewsletter, now: String, report: inout SeedReport, _ db: Database) throws {
        for list in newsletter.lists where try !MailingListRecord.exists(db, key: list.id) {
            try MailingListRecord(id: list.id, name: list.name, description: list.description, consentText: list.consentText, createdAt: now).insert(db)
            report.lists += 1
        }
        for subscriber in newsletter.subscribers {
            guard let list = try MailingListRecord.fetchOne(db, key: subscriber.list) else {
                throw KoblingError.invalid("/subscribers", "Unknown list \(subscriber.list).")
            }
            try db.execute(
                sql: """
                    INSERT INTO subscriber (id, listId, email, name, status, unsubscribeToken, consentText, consentAt, consentSource,
                      createdAt, updatedAt, confirmedAt)
                    VALUES (?, ?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (listId, email) DO NOTHING
                    """,
                arguments: [ids.next("sub"), list.id, subscriber.email, subscriber.name, SecretToken.generate(), list.consentText,
                            subscriber.consentAt, subscriber.consentSource, now, now, subscriber.consentAt])
            report.subscribers += db.changesCount
        }
        for issue in newsletter.issues {
            try db.execute(
                sql: """
                    INSERT INTO newsletterIssue (id, listId, subject, preheader, body, status, version, createdAt, updatedAt, startedAt, sentAt)
                    VALUES (?, ?, ?, ?, ?, 'sent', 1, ?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING
                    """,
                arguments: [issue.id, issue.list, issue.subject, issue.preheader, issue.body, issue.sentAt, issue.sentAt, issue.sentAt, issue.sentAt])
            report.issues += db.changesCount
        }
    }

    /// The seeded rounds' stories, once their runs are done: the first run published (no mail:
    /// the seed's people have no accounts) and the answers given, with the introductions and
    /// collaborations they lead to. Answers about a pair the run did not propose are skipped
    /// and counted. Running it twice changes nothing.
    public func seedRoundOutcomes(_ data: SeedData) async throws -> (answers: Int, skipped: Int) {
        let now = self.now
        return try await write { db in
            var (applied, skipped) = (0, 0)
            for seed in data.rounds where seed.publish == true {
                let round = try Self.round(seed.id, db)
                if round.status == .open {
                    guard let runId = try String.fetchOne(db, sql: """
                        SELECT id FROM matchRun WHERE roundId = ? AND status = 'done' ORDER BY createdAt, id LIMIT 1
                        """, arguments: [round.id]) else { continue }
                    _ = try self.publish(roundId: round.id, runId: runId, compose: nil, db)
                } else {
                    continue
                }
                for answer in seed.answers ?? [] {
                    guard var proposal = try ProposalRecord.filter(sql: "roundId = ? AND pitchId = ? AND personId = ?", arguments: [round.id, answer.pitch, answer.person])
                        .fetchOne(db).map({ try $0.proposal() }) else {
                        skipped += 1
                        continue
                    }
                    for (side, says) in [(Proposal.Side.person, answer.personSays), (.author, answer.authorSays)] {
                        guard let says else { continue }
                        let current = proposal
                        proposal = try self.record(current.answered(by: side, interested: says, note: side == .person ? answer.note : nil, now: now),
                                                   from: current, people: [:], introduce: nil, now: now, db)
                    }
                    if let id = proposal.collaborationId, var collaboration = try CollaborationRecord.fetchOne(db, key: id).map({ try $0.collaboration() }) {
                        collaboration.status = answer.collaboration ?? collaboration.status
                        collaboration.outcomeNote = answer.outcomeNote ?? collaboration.outcomeNote
                        collaboration.personMeeting = answer.meeting ?? collaboration.personMeeting
                        collaboration.authorMeeting = answer.meeting ?? collaboration.authorMeeting
                        try CollaborationRecord(collaboration).update(db)
                    }
                    applied += 1
                }
            }
            return (applied, skipped)
        }
    }
}
