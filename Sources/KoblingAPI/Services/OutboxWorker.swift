import Foundation
import Logging
import Mail
import ServiceLifecycle
import Storage
import Synchronization

/// Sends what the outbox holds, in the background, through the one mail transport.
///
/// `concurrency` lanes work side by side, each on a thread of its own with a connection of its own
/// (a newsletter send is thousands of messages, and hopping between threads for each step cost
/// more than sending). The database is written by one more thread, the ledger, in batches. A
/// lane's rows are marked "sending" when it claims them, a few ahead of their SMTP transactions.
/// When the server's 250 arrives, the lane writes it to the delivery journal at once (one
/// `write`, no transaction) before it starts the next message; the row says "sent" when the
/// ledger's next batch is written. After a crash, rows the journal names are recorded sent and
/// the other rows found "sending" are sent again: whether the server took the one a lane had
/// under way is unknown. A message is therefore never lost, and at most `concurrency` messages
/// (one a connection: the one whose 250 came back just before the crash, unwritten) can arrive
/// twice.
///
/// Transient failures (4xx, lost connections) are retried with exponential backoff, from 30 s to
/// an hour, up to `maxAttempts`; permanent ones (5xx) are recorded with the server's reply. A
/// setup fault (no TLS, refused login) or `failureLimit` failures in a row pause the worker with
/// the reason, until an organiser resumes it. A refused address is a bounce: hard (5xx) bounces
/// suppress it at once, soft (4xx) ones after several messages.
///
/// Newsletter rows carry no message: it is composed from the issue when the row's turn comes, so
/// that an unsubscribe during the send is respected and the outbox stays small. Scheduled issues
/// start here too; one found more than `lateSendGrace` past its time is held for an organiser.
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
        /// How late a scheduled issue may still start; later, it waits for an organiser.
        public var lateSendGrace: TimeInterval = 30 * 60
        /// Whether `run` sends in the background. Off where the caller drives the worker with
        /// `runOnce` itself (the tests), so that nothing races it.
        public var sendsInBackground = true

        public init() {}
    }

    private struct State {
        var woken = false
        var pausedReason: String?
        var failuresInARow = 0
        /// A shutdown began: lanes finish the message under way and claim no more.
        var stopping = false
    }

    /// Composes a newsletter row's message for its recipient.
    public typealias NewsletterComposer = @Sendable (ClaimedMail.Newsletter, _ recipient: String) throws -> MailMessage

    private let database: AppDatabase
    private let composeNewsletter: NewsletterComposer
    private let settings: Settings
    private let logger: Logger
    private let state = Mutex(State())
    private let pacing = Mutex(ContinuousClock.now)
    /// One lane a connection, kept between runs so that connections are reused.
    private let lanes: [LaneBox]

    public init(
        database: AppDatabase, transport: any MailTransport, settings: Settings = Settings(),
        logger: Logger = Logger(label: "kobling.outbox"), composeNewsletter: @escaping NewsletterComposer
    ) {
        self.composeNewsletter = composeNewsletter
        lanes = (0..<max(settings.concurrency, 1)).map { _ in LaneBox(transport.makeLane()) }
        self.database = database
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
        // A shutdown lets each lane finish the message under way and record what the server said,
        // then stops: a send of thousands resumes at the next start instead of holding it up.
        await withGracefulShutdownHandler {
            while !self.isStopping {
                do {
                    if try await self.runOnce() == 0 { await self.idle() }
                } catch {
                    self.logger.error("the outbox cannot be read or updated", metadata: ["error": "\(error)"])
                    await self.idle()
                }
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Lanes stop claiming; the messages under way finish and are recorded.
    func stop() {
        state.withLock {
            $0.stopping = true
            $0.woken = true
        }
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    /// Whether a lane may claim another row.
    private var mayClaim: Bool { state.withLock { $0.pausedReason == nil && !$0.stopping } }

    /// Starts due scheduled issues, then sends every due message (unless paused) through
    /// `concurrency` lanes; answers how many were attempted.
    @discardableResult
    public func runOnce() async throws -> Int {
        try await database.startDueIssues(grace: settings.lateSendGrace)
        // Outcomes a failed run left only in the journal go in before anything is claimed.
        try database.applyDeliveryJournal()
        let ledger = OutboxLedger(commit: database.settleAndClaim)
        let writer = Thread { ledger.run() }
        writer.name = "kobling.outbox.ledger"
        writer.start()
        let results = await withTaskGroup(of: (Int, (any Error)?).self) { group in
            for lane in lanes {
                group.addTask { await Self.onThread { self.drain(lane, ledger: ledger) } }
            }
            return await group.reduce(into: [(Int, (any Error)?)]()) { $0.append($1) }
        }
        ledger.close()
        if let error = results.compactMap(\.1).first { throw error }
        // Every outcome is written: the journal's copy is no longer needed.
        try database.clearDeliveryJournal()
        try await database.finishCompletedIssues()
        return results.map(\.0).reduce(0, +)
    }

    /// Runs blocking work on a thread of its own and answers its result.
    private static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = "kobling.outbox"
            thread.start()
        }
    }

    /// One lane's loop: send due rows until none is left, or sending pauses or stops (the rows
    /// it holds then go back to the queue). Answers how many it attempted, and the database
    /// error that stopped it, if one did.
    private func drain(_ lane: LaneBox, ledger: OutboxLedger) -> (Int, (any Error)?) {
        lane.lock.withLock { _ in
            var feed = LaneFeed(ledger: ledger)
            var attempted = 0
            do {
                while mayClaim, let mail = try feed.next() {
                    let outcome = deliver(mail, through: lane.sender)
                    if case .sent(let id, let messageId, let reply) = outcome {
                        do {
                            try database.recordTaken(id: id, messageId: messageId, reply: reply)
                        } catch {
                            // The outcome still goes to the database with the next batch; only
                            // a crash before then would send this message again.
                            logger.error("the delivery journal cannot be written", metadata: ["id": "\(id)", "error": "\(error)"])
                        }
                    }
                    attempted += 1
                    try feed.record(outcome, claiming: mayClaim)
                }
                try feed.finish()
                return (attempted, nil)
            } catch {
                return (attempted, error)
            }
        }
    }

    /// Waits for a wake-up or the poll interval, whichever comes first; returns early on cancellation.
    private func idle() async {
        let clock = ContinuousClock()
        let deadline = clock.now + settings.pollInterval
        while clock.now < deadline && !Task.isCancelled && !isStopping {
            if state.withLock({ state in defer { state.woken = false }; return state.woken }) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits for this message's turn under the rate limit (on the lane's thread).
    private func pace() {
        let interval = Duration.seconds(1 / max(settings.rate, 0.001))
        let slot = pacing.withLock { next -> ContinuousClock.Instant in
            let now = ContinuousClock.now
            let slot = max(now, next)
            next = slot + interval
            return slot
        }
        let wait = slot - ContinuousClock.now
        if wait > .zero {
            let (seconds, attoseconds) = wait.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
    }

    /// Sends one claimed row; answers the outcome to record.
    private func deliver(_ mail: ClaimedMail, through sender: any MailLane) -> MailOutcome {
        let entry = mail.entry
        let message: MailMessage
        do {
            if let newsletter = mail.newsletter {
                message = try composeNewsletter(newsletter, entry.recipient)
            } else {
                guard let data = entry.message else { throw MessageUnreadable() }
                message = try JSONDecoder().decode(MailMessage.self, from: data)
            }
        } catch {
            logger.error("mail cannot be composed", metadata: ["id": "\(entry.id)", "error": "\(error)"])
            return .failed(id: entry.id, reason: "the message cannot be composed: \(error)")
        }
        pace()
        do {
            let (messageID, reply) = try sender.send(message)
            state.withLock { $0.failuresInARow = 0 }
            return .sent(id: entry.id, messageId: messageID, reply: reply)
        } catch let error as MailDeliveryError {
            return record(error, for: entry)
        } catch {
            return record(MailDeliveryError(kind: .transient, stage: .connection, detail: "\(error)"), for: entry)
        }
    }

    private struct MessageUnreadable: Error, CustomStringConvertible {
        var description: String { "the stored message cannot be read" }
    }

    /// What a failure means for its row, and for the worker: bounces are recorded, and setup
    /// faults or too many failures in a row pause sending.
    private func record(_ error: MailDeliveryError, for entry: OutboxEntry) -> MailOutcome {
        logger.warning("mail not sent", metadata: ["id": "\(entry.id)", "kind": "\(entry.kind)", "error": "\(error)"])
        let outcome: MailOutcome
        switch error.kind {
        case .permanent:
            outcome = .failed(id: entry.id, reason: error.description)
        case .transient where entry.attempts >= settings.maxAttempts:
            outcome = .failed(id: entry.id, reason: "gave up after \(entry.attempts) attempts: \(error)")
        case .transient, .setup:
            let delay = min(settings.firstRetry * pow(2, Double(max(entry.attempts - 1, 0))), settings.lastRetry)
            outcome = .retry(id: entry.id, after: delay, reason: error.description)
        }
        // A refused address is a bounce, and says nothing about the setup; every other failure does.
        if let bounce = error.bounce {
            do {
                // The row's own outcome is recorded with the lane's next claim.
                if try database.recordBounce(email: entry.recipient, hard: bounce == .hard, outboxId: entry.id, detail: error.description) {
                    logger.notice("address suppressed after bounces", metadata: ["id": "\(entry.id)"])
                }
            } catch {
                logger.error("bounce not recorded", metadata: ["id": "\(entry.id)", "error": "\(error)"])
            }
            return outcome
        }
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
        return outcome
    }
}

/// A lane's sender, used by one thread at a time: the lock keeps two runs from sharing it.
private final class LaneBox: Sendable {
    let lock = Mutex(())
    nonisolated(unsafe) let sender: any MailLane

    init(_ sender: any MailLane) {
        self.sender = sender
    }
}
