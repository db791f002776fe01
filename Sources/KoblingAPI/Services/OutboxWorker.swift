import Foundation
import Logging
import Mail
import ServiceLifecycle
import Storage
import Synchronization

/// Sends what the outbox holds, in the background, through the one mail transport.
///
/// Each row is marked "sending" before its SMTP transaction starts and "sent" after the server's
/// 250. Rows found "sending" when the worker starts were in flight when the process stopped:
/// whether the server took them is unknown, so they are sent again. A message is therefore never
/// lost, and at most `concurrency` messages (those in flight at a crash) can arrive twice; the
/// window is between the server's 250 and the database write that follows it.
///
/// Transient failures (4xx, lost connections) are retried with exponential backoff, from 30 s to
/// an hour, up to `maxAttempts`; permanent ones (5xx) are recorded with the server's reply. A
/// setup fault (no TLS, refused login) or `failureLimit` failures in a row pause the worker with
/// the reason, until an organiser resumes it.
public final class OutboxWorker: Service, Sendable {
    public struct Settings: Sendable {
        /// How many messages go out at once (the transport's connection count).
        public var concurrency = 4
        /// Messages a second at most.
        public var rate = 10.0
        public var maxAttempts = 8
        public var failureLimit = 20
        public var firstRetry: TimeInterval = 30
        public var lastRetry: TimeInterval = 3600
        public var pollInterval: Duration = .seconds(1)
        /// Whether `run` sends in the background. Off where the caller drives the worker with
        /// `runOnce` itself (the tests), so that nothing races it.
        public var sendsInBackground = true

        public init() {}
    }

    private struct State {
        var woken = false
        var pausedReason: String?
        var failuresInARow = 0
    }

    private let database: AppDatabase
    private let transport: any MailTransport
    private let settings: Settings
    private let logger: Logger
    private let state = Mutex(State())
    private let pacing = Mutex(ContinuousClock.now)

    public init(database: AppDatabase, transport: any MailTransport, settings: Settings = Settings(), logger: Logger = Logger(label: "kobling.outbox")) {
        self.database = database
        self.transport = transport
        self.settings = settings
        self.logger = logger
    }

    /// Something was queued: look now rather than at the next poll.
    public func wake() {
        state.withLock { $0.woken = true }
    }

    /// Why the worker is paused, or nil when it is sending.
    public var pausedReason: String? { state.withLock { $0.pausedReason } }

    public func resume() {
        state.withLock {
            $0.pausedReason = nil
            $0.failuresInARow = 0
            $0.woken = true
        }
        logger.notice("outbox resumed")
    }

    public func run() async throws {
        guard settings.sendsInBackground else {
            try? await gracefulShutdown()
            return
        }
        let interrupted = try await database.requeueInterruptedMail()
        if interrupted > 0 {
            logger.warning("mail found in flight after a restart is sent again", metadata: ["messages": "\(interrupted)"])
        }
        // A shutdown stops the loop between batches; the batch under way finishes first (in a task
        // of its own, which the shutdown does not cancel), so that what the server took is recorded.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let sent = await Task { () -> Int in
                    do {
                        return try await self.runOnce()
                    } catch {
                        self.logger.error("the outbox cannot be read or updated", metadata: ["error": "\(error)"])
                        return 0
                    }
                }.value
                if sent == 0 { await self.idle() }
            }
        }
    }

    /// Sends every due message (unless paused); answers how many were attempted.
    @discardableResult
    public func runOnce() async throws -> Int {
        var attempted = 0
        while pausedReason == nil {
            let batch = try await database.claimDueMail(limit: settings.concurrency)
            if batch.isEmpty { break }
            await withTaskGroup(of: Void.self) { group in
                for entry in batch {
                    group.addTask { await self.deliver(entry) }
                }
            }
            attempted += batch.count
        }
        return attempted
    }

    /// Waits for a wake-up or the poll interval, whichever comes first; returns early on cancellation.
    private func idle() async {
        let clock = ContinuousClock()
        let deadline = clock.now + settings.pollInterval
        while clock.now < deadline && !Task.isCancelled {
            if state.withLock({ state in defer { state.woken = false }; return state.woken }) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits for this message's turn under the rate limit.
    private func pace() async {
        let interval = Duration.seconds(1 / max(settings.rate, 0.001))
        let slot = pacing.withLock { next -> ContinuousClock.Instant in
            let now = ContinuousClock.now
            let slot = max(now, next)
            next = slot + interval
            return slot
        }
        try? await Task.sleep(until: slot, clock: .continuous)
    }

    private func deliver(_ entry: OutboxEntry) async {
        guard let data = entry.message, let message = try? JSONDecoder().decode(MailMessage.self, from: data) else {
            try? await database.markMailFailed(id: entry.id, reason: "the stored message cannot be read")
            return
        }
        await pace()
        do {
            let (messageID, reply) = try await transport.sendReportingReply(message)
            try await database.markMailSent(id: entry.id, messageId: messageID, reply: reply)
            state.withLock { $0.failuresInARow = 0 }
        } catch let error as MailDeliveryError {
            await record(error, for: entry)
        } catch {
            await record(MailDeliveryError(kind: .transient, stage: .connection, detail: "\(error)"), for: entry)
        }
    }

    private func record(_ error: MailDeliveryError, for entry: OutboxEntry) async {
        logger.warning("mail not sent", metadata: ["id": "\(entry.id)", "kind": "\(entry.kind)", "error": "\(error)"])
        do {
            switch error.kind {
            case .permanent:
                try await database.markMailFailed(id: entry.id, reason: error.description)
            case .transient where entry.attempts >= settings.maxAttempts:
                try await database.markMailFailed(id: entry.id, reason: "gave up after \(entry.attempts) attempts: \(error)")
            case .transient, .setup:
                let delay = min(settings.firstRetry * pow(2, Double(max(entry.attempts - 1, 0))), settings.lastRetry)
                try await database.retryMail(id: entry.id, after: delay, reason: error.description)
            }
        } catch {
            logger.error("outbox update failed", metadata: ["id": "\(entry.id)", "error": "\(error)"])
        }
        // A refused address says nothing about the setup; every other failure does.
        if error.isHardBounce { return }
        state.withLock { state in
            state.failuresInARow += 1
            if state.pausedReason == nil {
                if error.kind == .setup {
                    state.pausedReason = "The mail setup needs mending: \(error)"
                } else if state.failuresInARow >= settings.failureLimit {
                    state.pausedReason = "\(state.failuresInARow) failures in a row; the last: \(error)"
                }
            }
        }
    }
}
