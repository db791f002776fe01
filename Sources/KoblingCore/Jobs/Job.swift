import Foundation

/// A piece of background work, durable in the database: a kind that names its handler, a payload
/// the handler reads, and a time from which it is due. Workers claim due jobs with a lease
/// (`LeaseTerms`), so that no two run one at once and a job cut off by a crash is taken up again
/// when its lease lapses; every handler is therefore written to be safe to run twice.
public struct Job: Codable, Equatable, Sendable {
    public var id: String
    public var kind: String
    /// Names the work for enqueueing it at most once ("round-run:run_…"): a second enqueue with
    /// the same key is the first job.
    public var key: String?
    /// What the handler needs, as JSON text.
    public var payload: String
    public var status: JobStatus
    public var dueAt: String
    /// Runs begun so far, the current one included.
    public var attempts: Int
    public var maxAttempts: Int
    /// Why the last run did not finish, or why the job failed.
    public var lastError: String?
    /// The worker holding the job while it runs, and until when.
    public var claimedBy: String?
    public var leaseUntil: String?
    public var createdAt: String
    public var updatedAt: String
    public var finishedAt: String?

    public init(
        id: String, kind: String, key: String? = nil, payload: String = "{}", status: JobStatus = .queued, dueAt: String,
        attempts: Int = 0, maxAttempts: Int = JobRetry.standard.maxAttempts, lastError: String? = nil,
        claimedBy: String? = nil, leaseUntil: String? = nil, createdAt: String, updatedAt: String, finishedAt: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.key = key
        self.payload = payload
        self.status = status
        self.dueAt = dueAt
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.lastError = lastError
        self.claimedBy = claimedBy
        self.leaseUntil = leaseUntil
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }

    /// Whether this run is past the job's last attempt: a job whose runs were all cut off (each
    /// claimed and lapsed) is given up rather than run again.
    public var isExhausted: Bool { attempts > maxAttempts }

    /// Decodes the payload as `T`.
    public func decodePayload<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(payload.utf8))
    }

    /// A payload as JSON text.
    public static func payload<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

public enum JobStatus: String, Codable, CaseIterable, Sendable {
    /// Waiting for its due time, or for a worker.
    case queued
    /// Claimed by a worker, whose lease holds it.
    case running
    case done
    /// Given up: an error the handler called permanent, or every attempt failed.
    case failed
}

/// How a failed run is retried: after `first` seconds, doubling each time up to `last`, for at
/// most `maxAttempts` runs in all.
public struct JobRetry: Sendable, Equatable {
    public var first: TimeInterval
    public var last: TimeInterval
    public var maxAttempts: Int

    public init(first: TimeInterval, last: TimeInterval, maxAttempts: Int) {
        self.first = max(first, 0)
        self.last = max(last, self.first)
        self.maxAttempts = max(maxAttempts, 1)
    }

    /// 10 s, 20 s, 40 s, 80 s between five runs.
    public static let standard = JobRetry(first: 10, last: 3600, maxAttempts: 5)

    /// The wait before the run after attempt number `attempt` (1 for the first run).
    public func delay(afterAttempt attempt: Int) -> TimeInterval {
        let exponent = min(max(attempt - 1, 0), 40)
        return min(last, first * pow(2, Double(exponent)))
    }
}

/// An error a job's handler throws when running it again cannot help (the round it was to run
/// was deleted, its input cannot run): the job fails at once with `reason`.
public struct PermanentJobFailure: Error, CustomStringConvertible, Sendable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
