import Foundation
import KoblingCore
import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// Runs the durable jobs of the database (`Job`) beside the HTTP server: round runs, answer
/// deadlines, reminders.
///
/// Each pass hands back jobs whose lease lapsed (a worker that crashed or hung), then claims
/// due jobs, up to `concurrency` at a time, and runs them while a renewal keeps their leases. A
/// job's outcome is written only by the holder of its lease. A run that throws is retried with
/// back-off; a job whose every attempt was cut off is given up, with its handler told so.
/// Between passes the runner sleeps until `wake` or the poll interval.
public final class JobRunner: Service, Sendable {
    public struct Settings: Sendable {
        public var pollInterval: Duration = .seconds(1)
        /// A round run takes seconds; a lease of a minute, renewed every 20 s, outlasts any pause.
        public var lease = LeaseTerms(duration: 60)
        /// Jobs run at once.
        public var concurrency = 2
        /// Whether `run` works in the background. Off where the caller drives the runner with
        /// `runDue` itself (the tests), so that nothing races it.
        public var runsInBackground = true

        public init() {}
    }

    private let database: AppDatabase
    private let handlers: [String: any JobHandler]
    private let settings: Settings
    private let logger: Logger
    private let wakeup = Wakeup()
    private let stopping = Atomic<Bool>(false)
    /// The name this runner's leases carry.
    public let holder = LeaseHolder.forThisProcess("jobs")

    public init(database: AppDatabase, handlers: [any JobHandler], settings: Settings = Settings(), logger: Logger = Logger(label: "kobling.jobs")) {
        self.database = database
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        self.settings = settings
        self.logger = logger
    }

    /// A job was enqueued: look now rather than at the next poll.
    public func wake() {
        wakeup.signal()
    }

    public func run() async throws {
        guard settings.runsInBackground else {
            try? await gracefulShutdown()
            return
        }
        // A shutdown lets the jobs under way finish; jobs it cuts off are taken up after the
        // restart, once their lease lapses.
        await withGracefulShutdownHandler {
            while !self.stopping.load(ordering: .relaxed) {
                do {
                    if try await self.runDue() == 0 { await self.wakeup.wait(timeout: self.settings.pollInterval) }
                } catch {
                    self.logger.error("the jobs cannot be read or updated", metadata: ["error": "\(error)"])
                    await self.wakeup.wait(timeout: self.settings.pollInterval)
                }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wakeup.signal()
        }
    }

    /// Runs every job that is due, `concurrency` at a time, until none is; answers how many ran.
    @discardableResult
    public func runDue() async throws -> Int {
        let lapsed = try await database.reclaimLapsedJobs()
        if lapsed > 0 { logger.warning("jobs whose lease lapsed are queued again", metadata: ["jobs": "\(lapsed)"]) }
        var ran = 0
        while !stopping.load(ordering: .relaxed) {
            let jobs = try await database.claimDueJobs(
                kinds: Array(handlers.keys).sorted(), holder: holder, terms: settings.lease, limit: settings.concurrency)
            if jobs.isEmpty { break }
            await runHoldingLeases(jobs)
            ran += jobs.count
        }
        return ran
    }

    /// Runs `jobs` at once while their leases are renewed.
    private func runHoldingLeases(_ jobs: [Job]) async {
        let (database, holder, terms, logger) = (self.database, self.holder, settings.lease, self.logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    do {
                        try await Task.sleep(for: .seconds(terms.renewal))
                    } catch {
                        return
                    }
                    do {
                        try await database.renewJobs(holder: holder, terms: terms)
                    } catch {
                        logger.error("job leases could not be renewed", metadata: ["error": "\(error)"])
                    }
                }
            }
            await withTaskGroup(of: Void.self) { running in
                for job in jobs { running.addTask { await self.execute(job) } }
            }
            group.cancelAll()
        }
    }

    private func execute(_ job: Job) async {
        let metadata: Logger.Metadata = ["job": "\(job.id)", "kind": "\(job.kind)", "attempt": "\(job.attempts)"]
        guard let handler = handlers[job.kind] else {
            await settle(job, .failed("No handler runs jobs of kind \(job.kind)."))
            return
        }
        if job.isExhausted {
            let reason = "Its last attempt was cut off before it finished (\(job.lastError ?? "no error was recorded"))."
            await giveUp(job, handler: handler, reason: reason)
            return
        }
        do {
            try await handler.run(job)
            await settle(job, .done)
        } catch let failure as PermanentJobFailure {
            logger.warning("job failed", metadata: metadata.merging(["error": "\(failure.reason)"]) { $1 })
            await giveUp(job, handler: handler, reason: failure.reason)
        } catch {
            let message = "\(error)"
            if job.attempts >= job.maxAttempts {
                logger.error("job failed on its last attempt", metadata: metadata.merging(["error": "\(message)"]) { $1 })
                await giveUp(job, handler: handler, reason: "It failed \(job.attempts) times; the last time: \(message)")
            } else {
                let delay = handler.retry.delay(afterAttempt: job.attempts)
                logger.warning("job failed; it is retried", metadata: metadata.merging(["error": "\(message)", "seconds": "\(Int(delay))"]) { $1 })
                await settle(job, .retry(at: database.clock.now() + delay, error: message))
            }
        }
    }

    /// Tells the handler, then records the job failed. When either cannot be written, the job
    /// stays claimed; its lease lapses and the next pass gives it up again.
    private func giveUp(_ job: Job, handler: any JobHandler, reason: String) async {
        do {
            try await handler.giveUp(job, reason: reason)
        } catch {
            logger.error("a failed job's handler could not record it", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return
        }
        await settle(job, .failed(reason))
    }

    private func settle(_ job: Job, _ outcome: AppDatabase.JobOutcome) async {
        do {
            if try await !database.settleJob(job.id, holder: holder, outcome) {
                logger.warning("a job's lease lapsed before its outcome was recorded; its next holder's counts", metadata: ["job": "\(job.id)"])
            }
        } catch {
            logger.error("a job's outcome could not be recorded; it runs again once its lease lapses", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }
}
