import Foundation
import GRDB
import KoblingCore

/// A newsletter issue: written as a draft, then sent now or at a set time, paused, resumed or
/// cancelled while it goes out, and public in the archive once sent.
public struct NewsletterIssue: Sendable, Equatable, Encodable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case draft
        /// Waits for `scheduledAt`.
        case scheduled
        /// Its time passed while the server was down: it waits for an organiser.
        case held
        case sending, paused, cancelled, sent
    }

    /// Where the issue's messages stand in the outbox.
    public struct Delivery: Sendable, Equatable, Encodable {
        public var queued = 0
        public var sending = 0
        public var sent = 0
        public var failed = 0
        public var skipped = 0
    }

    public var id: String
    public var listId: String
    public var listName: String
    public var subject: String
    public var preheader: String
    public var body: String
    public var status: Status
    public var statusReason: String?
    public var scheduledAt: String?
    public var version: Int
    public var createdAt: String
    public var updatedAt: String
    public var startedAt: String?
    public var sentAt: String?
    public var delivery: Delivery

    /// Whether its content may still change: once sending starts, what went out is fixed.
    public var isEditable: Bool { [.draft, .scheduled, .held].contains(status) }

    init(_ row: Row, delivery: Delivery) {
        id = row["id"]
        listId = row["listId"]
        listName = row["listName"]
        subject = row["subject"]
        preheader = row["preheader"]
        body = row["body"]
        status = Status(rawValue: row["status"]) ?? .draft
        statusReason = row["statusReason"]
        scheduledAt = row["scheduledAt"]
        version = row["version"]
        createdAt = row["createdAt"]
        updatedAt = row["updatedAt"]
        startedAt = row["startedAt"]
        sentAt = row["sentAt"]
        self.delivery = delivery
    }

    private enum CodingKeys: String, CodingKey {
        case id, listId, listName, subject, preheader, body, status, statusReason, scheduledAt, createdAt, updatedAt, startedAt, sentAt, delivery
    }

    /// Every field, null when empty, as the spec says.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(listId, forKey: .listId)
        try container.encode(listName, forKey: .listName)
        try container.encode(subject, forKey: .subject)
        try container.encode(preheader, forKey: .preheader)
        try container.encode(body, forKey: .body)
        try container.encode(status, forKey: .status)
        try container.encode(statusReason, forKey: .statusReason)
        try container.encode(scheduledAt, forKey: .scheduledAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(sentAt, forKey: .sentAt)
        try container.encode(delivery, forKey: .delivery)
    }
}

/// The content of an issue as the organiser writes it.
public struct IssueDraft: Sendable, Equatable {
    public var subject: String
    public var preheader: String
    public var body: String

    public init(subject: String, preheader: String, body: String) {
        self.subject = subject
        self.preheader = preheader
        self.body = body
    }
}

extension AppDatabase {
    static let issueSelect = """
        SELECT i.*, l.name AS listName FROM newsletterIssue i JOIN mailingList l ON l.id = i.listId
        """

    public func createIssue(listId: String, draft: IssueDraft) async throws -> NewsletterIssue {
        let now = self.now
        let id = ids.next("iss")
        return try await write { db in
            guard try MailingListRecord.exists(db, key: listId) else { throw KoblingError.invalid("/listId", "No such list.") }
            try db.execute(
                sql: """
                    INSERT INTO newsletterIssue (id, listId, subject, preheader, body, status, version, createdAt, updatedAt)
                    VALUES (?, ?, ?, ?, ?, 'draft', 1, ?, ?)
                    """,
                arguments: [id, listId, draft.subject, draft.preheader, draft.body, now, now])
            return try issue(id: id, db)
        }
    }

    /// An issue with its delivery counts; 404 when unknown.
    public func issue(id: String) async throws -> NewsletterIssue {
        try await read { db in try issue(id: id, db) }
    }

    /// An issue's content and state without its delivery counts, synchronously: what the outbox
    /// worker's threads compose messages from.
    @available(*, noasync, message: "blocks its thread; use issue(id:)")
    public func issueContent(id: String) throws -> NewsletterIssue {
        try writer.read { db in try issue(id: id, counted: false, db) }
    }

    /// An issue; its delivery counts only when `counted` (they read every row of a send, which
    /// a status check does not need).
    func issue(id: String, counted: Bool = true, _ db: Database) throws -> NewsletterIssue {
        guard let row = try Row.fetchOne(db, sql: Self.issueSelect + " WHERE i.id = ?", arguments: [id]) else {
            throw KoblingError.notFound("No such issue.")
        }
        return NewsletterIssue(row, delivery: counted ? try deliveries(of: [id], db)[id] ?? .init() : .init())
    }

    /// Where the messages of the given issues stand, in one query.
    private func deliveries(of ids: [String], _ db: Database) throws -> [String: NewsletterIssue.Delivery] {
        guard !ids.isEmpty else { return [:] }
        var result: [String: NewsletterIssue.Delivery] = [:]
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT issueId, status, COUNT(*) AS n FROM outbox
                WHERE issueId IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", "))) GROUP BY issueId, status
                """,
            arguments: StatementArguments(ids))
        for row in rows {
            let n: Int = row["n"]
            var delivery = result[row["issueId"], default: .init()]
            switch OutboxEntry.Status(rawValue: row["status"]) {
            case .queued?: delivery.queued = n
            case .sending?: delivery.sending = n
            case .sent?: delivery.sent = n
            case .failed?: delivery.failed = n
            case .skipped?: delivery.skipped = n
            case nil: break
            }
            result[row["issueId"]] = delivery
        }
        return result
    }

    /// Issues newest first, optionally of one list or status.
    public func issues(listId: String?, status: NewsletterIssue.Status?, page: PageRequest) async throws -> Page<NewsletterIssue> {
        try await read { db in
            var query = ListQuery()
            if let listId { query.require("i.listId = ?", listId) }
            if let status { query.require("i.status = ?", status.rawValue) }
            if let after = page.after, after.count == 2 { query.require("(i.createdAt, i.id) < (?, ?)", after[0], after[1]) }
            let rows = try Row.fetchAll(
                db, sql: Self.issueSelect + " \(query.filterClause) ORDER BY i.createdAt DESC, i.id DESC LIMIT \(page.limit + 1)",
                arguments: query.arguments)
            let deliveries = try deliveries(of: rows.map { $0["id"] }, db)
            return Page(fetched: rows.map { NewsletterIssue($0, delivery: deliveries[$0["id"]] ?? .init()) }, limit: page.limit) {
                [$0.createdAt, $0.id]
            }
        }
    }

    /// Changes an issue's content while it is a draft, scheduled or held.
    public func updateIssue(id: String, expectedVersion: Int?, change: @Sendable @escaping (IssueDraft) throws -> IssueDraft) async throws -> NewsletterIssue {
        let now = self.now
        return try await write { db in
            let current = try issue(id: id, counted: false, db)
            if let expectedVersion, expectedVersion != current.version { throw KoblingError.preconditionFailed() }
            guard current.isEditable else {
                throw KoblingError.conflict("The issue is \(current.status.rawValue); what has been sent cannot change.")
            }
            let draft = try change(IssueDraft(subject: current.subject, preheader: current.preheader, body: current.body))
            try db.execute(
                sql: "UPDATE newsletterIssue SET subject = ?, preheader = ?, body = ?, version = version + 1, updatedAt = ? WHERE id = ?",
                arguments: [draft.subject, draft.preheader, draft.body, now, id])
            return try issue(id: id, db)
        }
    }

    /// Deletes a draft; an issue that was scheduled or sent keeps its record (cancel it instead).
    public func deleteIssue(id: String) async throws {
        try await write { db in
            let current = try issue(id: id, counted: false, db)
            guard current.status == .draft else {
                throw KoblingError.conflict("Only a draft can be deleted; this issue is \(current.status.rawValue).")
            }
            try db.execute(sql: "DELETE FROM newsletterIssue WHERE id = ?", arguments: [id])
        }
    }

    /// Starts sending now: one outbox row for each subscriber confirmed at this moment, written in
    /// the same transaction as the change of status.
    public func sendIssue(id: String) async throws -> NewsletterIssue {
        let now = self.now
        return try await write { db in
            let current = try issue(id: id, counted: false, db)
            guard current.isEditable else { throw KoblingError.conflict("The issue is \(current.status.rawValue) already.") }
            try startSending(current, now: now, db)
            return try issue(id: id, db)
        }
    }

    private func startSending(_ issue: NewsletterIssue, now: String, _ db: Database) throws {
        // One statement queues every confirmed subscriber, in the order of their ids, and the
        // rows' new ids are handed out sorted in that order too: every index of the outbox then
        // takes its new entries in order, each page written once, instead of ten thousand
        // scattered insertions.
        let ids = self.ids
        let subscribers = try String.fetchAll(
            db, sql: "SELECT id FROM subscriber WHERE listId = ? AND status = 'confirmed' ORDER BY id", arguments: [issue.listId])
        let rowIDs = Dictionary(uniqueKeysWithValues: zip(subscribers, subscribers.map { _ in ids.next("mail") }.sorted()))
        let mailID = DatabaseFunction("kobling_mail_id", argumentCount: 1, pure: false) { values in
            String.fromDatabaseValue(values[0]).flatMap { rowIDs[$0] } ?? ids.next("mail")
        }
        db.add(function: mailID)
        defer { db.remove(function: mailID) }
        try db.execute(
            sql: """
                INSERT INTO outbox (id, kind, recipient, message, status, attempts, notBefore, createdAt, updatedAt, issueId, subscriberId)
                SELECT kobling_mail_id(id), ?, email, x'', 'queued', 0, ?, ?, ?, ?, id
                FROM subscriber WHERE listId = ? AND status = 'confirmed' ORDER BY id
                ON CONFLICT DO NOTHING
                """,
            arguments: [MailKind.newsletterIssue, now, now, now, issue.id, issue.listId])
        try db.execute(
            sql: """
                UPDATE newsletterIssue SET status = 'sending', statusReason = NULL, startedAt = ?, updatedAt = ?, version = version + 1
                WHERE id = ?
                """,
            arguments: [now, now, issue.id])
    }

    /// Sets the time a draft (or a scheduled or held issue) goes out.
    public func scheduleIssue(id: String, at time: String) async throws -> NewsletterIssue {
        let now = self.now
        return try await write { db in
            let current = try issue(id: id, counted: false, db)
            guard current.isEditable else { throw KoblingError.conflict("The issue is \(current.status.rawValue) already.") }
            guard time > now else { throw KoblingError.invalid("/at", "The time has passed; send now instead, or choose a later time.") }
            try db.execute(
                sql: """
                    UPDATE newsletterIssue SET status = 'scheduled', scheduledAt = ?, statusReason = NULL, updatedAt = ?, version = version + 1
                    WHERE id = ?
                    """,
                arguments: [time, now, id])
            return try issue(id: id, db)
        }
    }

    public enum SendControl: Sendable {
        case pause, resume, cancel
    }

    /// Pauses a send (its queued messages wait), resumes it, or cancels it (they are skipped).
    public func controlSend(id: String, _ control: SendControl) async throws -> NewsletterIssue {
        let now = self.now
        return try await write { db in
            let current = try issue(id: id, counted: false, db)
            let allowed: [NewsletterIssue.Status]
            let next: NewsletterIssue.Status
            switch control {
            case .pause: (allowed, next) = ([.sending], .paused)
            case .resume: (allowed, next) = ([.paused], .sending)
            case .cancel: (allowed, next) = ([.scheduled, .held, .sending, .paused], .cancelled)
            }
            guard allowed.contains(current.status) else {
                throw KoblingError.conflict("The issue is \(current.status.rawValue); only an issue that is \(allowed.map(\.rawValue).joined(separator: " or ")) can be \(next.rawValue).")
            }
            try db.execute(
                sql: "UPDATE newsletterIssue SET status = ?, statusReason = NULL, updatedAt = ?, version = version + 1 WHERE id = ?",
                arguments: [next.rawValue, now, id])
            if control == .cancel {
                try db.execute(
                    sql: "UPDATE outbox SET status = 'skipped', lastError = 'not sent: the send was cancelled', updatedAt = ? WHERE issueId = ? AND status = 'queued'",
                    arguments: [now, id])
            }
            return try issue(id: id, db)
        }
    }

    /// Starts the scheduled issues whose time has come. One found more than `grace` past its time
    /// (the server was down) is held for an organiser rather than sent late. Answers how many started.
    @discardableResult
    public func startDueIssues(grace: TimeInterval) async throws -> Int {
        let now = clock.now()
        let stamp = Timestamp.string(now)
        let latest = Timestamp.string(now - grace)
        return try await write { db in
            let due = try String.fetchAll(
                db, sql: "SELECT id FROM newsletterIssue WHERE status = 'scheduled' AND scheduledAt <= ? ORDER BY scheduledAt", arguments: [stamp])
            var started = 0
            for id in due {
                let current = try issue(id: id, counted: false, db)
                if let time = current.scheduledAt, time < latest {
                    try db.execute(
                        sql: "UPDATE newsletterIssue SET status = 'held', statusReason = ?, updatedAt = ?, version = version + 1 WHERE id = ?",
                        arguments: ["It was due at \(time) but the server was not running then; send it now, schedule it again or cancel it.",
                                    stamp, id])
                } else {
                    try startSending(current, now: stamp, db)
                    started += 1
                }
            }
            return started
        }
    }

    /// Marks sent the sending issues with nothing left queued or in flight, and stores each one's
    /// archive renderings in the same transaction: a sent issue is never without them.
    public func finishCompletedIssues(render: @escaping ArchiveRenderer) async throws {
        let now = self.now
        try await write { db in
            let finished = try String.fetchAll(
                db, sql: """
                    UPDATE newsletterIssue SET status = 'sent', sentAt = ?, updatedAt = ?, version = version + 1
                    WHERE status = 'sending'
                      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.issueId = newsletterIssue.id AND o.status IN ('queued', 'sending'))
                    RETURNING id
                    """,
                arguments: [now, now])
            for id in finished { try self.renderArchive(where: "i.id = ?", [id], render, db) }
        }
    }
}

/// A sent issue as anyone may read it: its content, never who received it.
public struct ArchivedIssue: Sendable, Equatable {
    public var id: String
    public var listId: String
    public var listName: String
    public var subject: String
    public var preheader: String
    public var body: String
    public var sentAt: String

    init(_ row: Row) {
        let issue = NewsletterIssue(row, delivery: .init())
        id = issue.id
        listId = issue.listId
        listName = issue.listName
        subject = issue.subject
        preheader = issue.preheader
        body = issue.body
        sentAt = issue.sentAt ?? issue.updatedAt
    }
}
