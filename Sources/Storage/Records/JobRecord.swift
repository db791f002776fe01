import GRDB
import KoblingCore

/// A job as stored: one column a field.
struct JobRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "job"
    var id: String
    var kind: String
    var key: String?
    var payload: String
    var status: String
    var dueAt: String
    var attempts: Int
    var maxAttempts: Int
    var lastError: String?
    var claimedBy: String?
    var claimedAt: String?
    var leaseUntil: String?
    var createdAt: String
    var updatedAt: String
    var finishedAt: String?

    init(_ job: Job) {
        id = job.id
        kind = job.kind
        key = job.key
        payload = job.payload
        status = job.status.rawValue
        dueAt = job.dueAt
        attempts = job.attempts
        maxAttempts = job.maxAttempts
        lastError = job.lastError
        claimedBy = job.claimedBy
        leaseUntil = job.leaseUntil
        createdAt = job.createdAt
        updatedAt = job.updatedAt
        finishedAt = job.finishedAt
    }

    var job: Job {
        Job(id: id, kind: kind, key: key, payload: payload, status: JobStatus(rawValue: status) ?? .queued, dueAt: dueAt,
            attempts: attempts, maxAttempts: maxAttempts, lastError: lastError, claimedBy: claimedBy, leaseUntil: leaseUntil,
            createdAt: createdAt, updatedAt: updatedAt, finishedAt: finishedAt)
    }
}
