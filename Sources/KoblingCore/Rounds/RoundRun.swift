/// One run of a round: the engine's proposal for the round's settings at the time it was
/// started. A run is immutable once done or failed, and kept.
public struct RoundRun: Codable, Equatable, Sendable {
    public var id: String
    public var roundId: String
    public var status: RunStatus
    /// Why it failed.
    public var reason: String?
    /// The job that runs it.
    public var jobId: String
    public var createdAt: String
    public var startedAt: String?
    public var finishedAt: String?
    /// Σ of the groups' scores, when done.
    public var objective: Int?
    /// How long each stage took, when done.
    public var stages: RunStages?

    public init(id: String, roundId: String, jobId: String, now: String) {
        self.id = id
        self.roundId = roundId
        status = .queued
        self.jobId = jobId
        createdAt = now
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(roundId, forKey: .roundId)
        try container.encode(status, forKey: .status)
        try container.encode(reason, forKey: .reason)
        try container.encode(jobId, forKey: .jobId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(objective, forKey: .objective)
        try container.encode(stages, forKey: .stages)
    }
}

/// Seconds a run spent reading the community from the database (and making the engine's input
/// of it), scoring the candidate pairs (indexing the texts included), forming and explaining
/// the groups, and encoding and writing the result.
public struct RunStages: Codable, Equatable, Sendable {
    public var loadingSeconds: Double
    public var scoringSeconds: Double
    public var solvingSeconds: Double
    public var storingSeconds: Double

    public init(loadingSeconds: Double, scoringSeconds: Double, solvingSeconds: Double, storingSeconds: Double) {
        self.loadingSeconds = loadingSeconds
        self.scoringSeconds = scoringSeconds
        self.solvingSeconds = solvingSeconds
        self.storingSeconds = storingSeconds
    }
}

public enum RunStatus: String, Codable, CaseIterable, Sendable {
    case queued, running, done, failed

    /// Queued or running: a round has at most one such run.
    public var isActive: Bool { self == .queued || self == .running }
}

extension RoundRun {
    /// The kind of job that runs a round, and what it carries.
    public static let jobKind = "round-run"

    public struct JobPayload: Codable, Sendable, Equatable {
        public var runId: String

        public init(runId: String) {
            self.runId = runId
        }
    }
}
