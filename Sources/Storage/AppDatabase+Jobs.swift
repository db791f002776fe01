import Foundation
import GRDB
import KoblingCore

/// The job runner's table: jobs enqueued with a due time, claimed with leases, settled by the
/// holder of their lease only. The statements are plain SQL that any store can run; claiming
/// is one UPDATE … RETURNING, which a store with concurrent writers runs with SKIP LOCKED.
extension AppDatabase {
    /// What to enqueue: `kind` names the handler; a job with a `key` that exists already is not
    /// enqueued again, and the one that exists is answered.
    public struct NewJob: Sendable {
        public var kind: String
        public var key: String?
        public var payload: String
        public var dueAt: Date?
        public var maxAttempts: Int

        public init(kind: String, key: String? = nil, payload: String = "{}", dueAt: Date? = nil, maxAttempts: Int = JobRetry.standard.maxAttempts) {
            self.kind = kind
            self.key = key
            self.payload = payload
            self.dueAt = dueAt
            self.maxAttempts = maxAttempts
        }
    }

    public func enqueue(_ job: NewJob) async throws -> Job {
        try await write { db in try enqueue(job, db) }
    }

    /// Enqueues `job` in the caller's transaction, so that the work it stands for and the job
    /// are written together.
    func enqueue(_ job: NewJob, _ db: Database) throws -> Job {
        let now = clock.now()
        let stamp = Timestamp.string(now)
        let record = JobRecord(Job(
            id: ids.next("job"), kind: job.kind, key: job.key, payload: job.payload,
            dueAt: Timestamp.string(job.dueAt ?? now), maxAttempts: max(job.maxAttempts, 1), createdAt: stamp, updatedAt: stamp))
        if let inserted = try JobRecord.fetchOne(db, sql: """
            INSERT INTO job (id, kind, key, payload, status, dueAt, attempts, maxAttempts, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?)
            ON CONFLICT (key) DO NOTHING
            RETURNING *
            """, arguments: [record.id, record.kind, record.key, record.payload, record.dueAt, record.maxAttempts, stamp, stamp]) {
            return inserted.job
        }
        guard let key = job.key, let existing = try JobRecord.filter(Column("key") == key).fetchOne(db) else {
            throw KoblingError.conflict("The job could not be enqueued.")
        }
        return existing.job
    }

    /// Claims up to `limit` due jobs of `kinds` for `holder`, earliest due first, counting the
    /// run as an attempt.
    public func claimDueJobs(kinds: [String], holder: LeaseHolder, terms: LeaseTerms, limit: Int) async throws -> [Job] {
        guard !kinds.isEmpty, limit > 0 else { return [] }
        let now = clock.now()
        let stamp = Timestamp.string(now)
        let until = Timestamp.string(terms.expiry(from: now))
        let marks = Array(repeating: "?", count: kinds.count).joined(separator: ", ")
        return try await write { db in
            var arguments: StatementArguments = [holder.id, stamp, until, stamp]
            arguments += StatementArguments(kinds)
            arguments += [stamp, limit]
            return try JobRecord.fetchAll(db, sql: """
                UPDATE job SET \(LeasedRows.jobs.claim), attempts = attempts + 1, updatedAt = ?
                WHERE id IN (
                  SELECT id FROM job WHERE status = 'queued' AND kind IN (\(marks)) AND dueAt <= ?
                  ORDER BY dueAt, id LIMIT ?)
                RETURNING *
                """, arguments: arguments).map(\.job).sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    /// Extends every lease `holder` has; answers how many jobs it holds.
    @discardableResult
    public func renewJobs(holder: LeaseHolder, terms: LeaseTerms) async throws -> Int {
        let until = Timestamp.string(terms.expiry(from: clock.now()))
        return try await write { db in try LeasedRows.jobs.renew(holder, until: until, db) }
    }

    /// Hands back to the queue the jobs whose lease lapsed (their worker stopped without an
    /// outcome); answers how many.
    public func reclaimLapsedJobs() async throws -> Int {
        let now = self.now
        return try await write { db in try LeasedRows.jobs.reclaimLapsed(now: now, db) }
    }

    /// How a run of a job ended.
    public enum JobOutcome: Sendable, Equatable {
        case done
        /// Run it again from `at`, noting why this run did not finish.
        case retry(at: Date, error: String)
        case failed(String)
    }

    /// Records how `holder`'s run of job `id` ended. Answers false when the job is no longer
    /// `holder`'s (its lease lapsed and another worker took it): that worker's outcome counts.
    @discardableResult
    public func settleJob(_ id: String, holder: LeaseHolder, _ outcome: JobOutcome) async throws -> Bool {
        let stamp = now
        return try await write { db in
            switch outcome {
            case .done:
                try db.execute(sql: """
                    UPDATE job SET status = 'done', \(LeasedRows.release), updatedAt = ?1, finishedAt = ?1
                    WHERE id = ?2 AND status = 'running' AND claimedBy = ?3
                    """, arguments: [stamp, id, holder.id])
            case .retry(let at, let error):
                try db.execute(sql: """
                    UPDATE job SET status = 'queued', \(LeasedRows.release), updatedAt = ?1, dueAt = ?2, lastError = ?3
                    WHERE id = ?4 AND status = 'running' AND claimedBy = ?5
                    """, arguments: [stamp, Timestamp.string(at), error, id, holder.id])
            case .failed(let reason):
                try db.execute(sql: """
                    UPDATE job SET status = 'failed', \(LeasedRows.release), updatedAt = ?1, finishedAt = ?1, lastError = ?2
                    WHERE id = ?3 AND status = 'running' AND claimedBy = ?4
                    """, arguments: [stamp, reason, id, holder.id])
            }
            return db.changesCount > 0
        }
    }

    /// Jobs for organisers, newest first, optionally of one status and one kind.
    public func jobs(status: JobStatus?, kind: String?, page: PageRequest) async throws -> Page<Job> {
        try await read { db in
            var request = JobRecord.all()
            if let status { request = request.filter(Column("status") == status.rawValue) }
            if let kind { request = request.filter(Column("kind") == kind) }
            if let after = page.after, after.count == 2 {
                request = request.filter(sql: "(createdAt, id) < (?, ?)", arguments: [after[0], after[1]])
            }
            let records = try request.order(Column("createdAt").desc, Column("id").desc).limit(page.limit + 1).fetchAll(db)
            return Page(fetched: records.map(\.job), limit: page.limit) { [$0.createdAt, $0.id] }
        }
    }

    public func job(_ id: String) async throws -> Job {
        try await read { db in
            guard let record = try JobRecord.fetchOne(db, key: id) else { throw KoblingError.notFound("There is no job \(id).") }
            return record.job
        }
    }

    /// A failed job queued again at once, with its attempts counted afresh: an organiser mended
    /// what it failed on. Any other status answers 409.
    public func retryJob(_ id: String) async throws -> Job {
        let stamp = now
        return try await write { db in
            guard let record = try JobRecord.fetchOne(db, key: id) else { throw KoblingError.notFound("There is no job \(id).") }
            guard record.status == JobStatus.failed.rawValue else {
                throw KoblingError.conflict("The job is \(record.status); only a failed job can be retried.")
            }
            let updated = try JobRecord.fetchOne(db, sql: """
                UPDATE job SET status = 'queued', attempts = 0, dueAt = ?1, updatedAt = ?1, finishedAt = NULL
                WHERE id = ?2 RETURNING *
                """, arguments: [stamp, id])
            return (updated ?? record).job
        }
    }

    /// How many jobs are in each status, for metrics.
    public func jobCounts() async throws -> [JobStatus: Int] {
        try await read { db in
            var counts: [JobStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM job GROUP BY status") {
                if let status = JobStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }
}
