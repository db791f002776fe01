import Foundation
import KoblingCore
import Logging
import Matching
import Storage

/// Runs a round: reads its community, runs the engine on a thread of its own (it computes for
/// seconds on a national community, which no cooperative thread may spend), and writes the
/// result. Safe to run twice: a run that is over is left as it is, and a run cut off is run
/// again from the start.
public struct RoundRunHandler: JobHandler {
    public let kind = RoundRun.jobKind
    public let retry = JobRetry(first: 5, last: 60, maxAttempts: 3)
    let database: AppDatabase
    let logger: Logger

    public init(database: AppDatabase, logger: Logger = Logger(label: "kobling.rounds")) {
        self.database = database
        self.logger = logger
    }

    public func run(_ job: Job) async throws {
        let runId = try job.decodePayload(RoundRun.JobPayload.self).runId
        let clock = ContinuousClock()
        let started = clock.now
        guard let community = try await database.beginRun(runId) else { return }
        let loaded = clock.now
        let outcome = await Thread.run(name: "kobling.round") { () -> Result<(String, Int, RunStages), any Error> in
            Result {
                // The stages add up to the run: loading is reading the community and turning it
                // into the engine's input; scoring is indexing and scoring the candidates;
                // solving is the rest of the engine (forming the groups and explaining them);
                // storing is writing the report and the row.
                let began = clock.now
                let input = RoundInput(community)
                let prepared = clock.now
                let result = try MatchRound.run(input)
                let solved = clock.now
                let largest = Dictionary(input.pitches.map { ($0.id, $0.maxGroupSize) }, uniquingKeysWith: max)
                let json = RunReport(result, largest: largest).json()
                let statistics = result.statistics
                let scoring = statistics.indexSeconds + statistics.scoringSeconds
                let stages = RunStages(
                    loadingSeconds: (loaded - started).seconds + (prepared - began).seconds, scoringSeconds: scoring,
                    solvingSeconds: max((solved - prepared).seconds - scoring, statistics.assignmentSeconds),
                    storingSeconds: (clock.now - solved).seconds)
                return (json, result.objective, stages)
            }
        }
        switch outcome {
        case .success(let (json, objective, stages)):
            try await database.finishRun(runId, objective: objective, result: json, stages: stages)
            logger.info("round run done", metadata: ["run": "\(runId)", "objective": "\(objective)"])
        case .failure(let error as RoundError):
            // The input cannot run (a locked pair that is excluded): running again cannot help.
            throw PermanentJobFailure(error.description)
        case .failure(let error):
            throw error
        }
    }

    public func giveUp(_ job: Job, reason: String) async throws {
        guard let payload = try? job.decodePayload(RoundRun.JobPayload.self) else { return }
        try await database.failRun(payload.runId, reason: reason)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
