import Foundation
import KoblingCore
import Logging
import Mail
import ServiceLifecycle
import Storage
import Synchronization

/// Sends what the outbox holds, in the background, through the one mail transport.
///
/// One thread sends, through the transport's stream: it keeps every connection busy at once (a
/// newsletter send is thousands of messages, and a thread a connection spent more on switching
/// between threads than on sending). The database is written by one more thread, the ledger, in
/// batches. Rows are marked "sending" when the sender claims them, a few ahead of their SMTP
/// transactions. When the server's 250 arrives, the sender writes it to the delivery journal at
/// once (one `write`, no transaction) before it writes anything more to any server; the row says
/// "sent" when the ledger's next batch is written. After a crash, rows the journal names are
/// recorded sent and the other rows found "sending" are sent again: whether the server took the
/// one a connection had under way is unknown. A message is therefore never lost, and at most one
/// message a connection (the one whose 250 came back just before the crash, unwritten) can arrive
/// twice.
///
/// Transient failures (4xx, lost connections) are retried with exponential backoff, from 30 s to
/// an hour, up to `maxAttempts`; permanent ones (5xx) are recorded with the server's reply. A
/// burst of transient failures backs off the whole stream (`SendCircuit`), which goes on by
/// itself after the pause. Setup faults (no TLS, refused login) on every connection and once more,
/// with no message through in between, pause the worker with the reason, until an organiser resumes it. A refused
/// address is a bounce: hard (5xx) bounces suppress it at once, soft (4xx) ones after several
/// messages.
///
/// Newsletter rows carry no message: it is composed from the issue when the row's turn comes, so
/// that an unsubscribe during the send is respected and the outbox stays small. Scheduled issues
/// start here too; one found more than `lateSendGrace` past its time is held for an organiser.
public final class OutboxWorker: Service, Sendable {
    public struct Settings: Sendable {
        /// Messages a second at most.
        public var rate = 10.0
        public var maxAttempts = 8
        /// When a burst of transient failures backs off the whole stream.
        public var circuit = SendCircuit.Settings()
        public var firstRetry: TimeInterval = 30
        public var lastRetry: TimeInterval = 3600
        public var pollInterval: Duration = .seconds(1)
        /// How late a scheduled issue may still start; later, it waits for an organiser.
        public var lateSendGrace: TimeInterval = 30 * 60
        /// How long a claimed row stays this worker's without renewal.
        public var lease = LeaseTerms.standard
        /// Whether `run` sends in the background. Off where the caller drives the worker with
        /// `runOnce` itself (the tests), so that nothing races it.
        public var sendsInBackground = true

        public init() {}
    }

    private struct State {
        var pausedReason: String?
        var circuit: SendCircuit
        /// A shutdown began: the messages under way finish, and no more are claimed.
        var stopping = false
    }

    /// Composes a newsletter row's message for its recipient.
    public typealias NewsletterComposer = @Sendable (ClaimedMail.Newsletter, _ recipient: String) throws -> OutgoingMail

    private let database: AppDatabase
    private let composeNewsletter: NewsletterComposer
    /// Renders an issue for the archive once its last message is out.
    private let renderArchive: ArchiveRenderer
    private let settings: Settings
    private let logger: Logger
    private let state: Mutex<State>
    private let wakeup = Wakeup()
    /// When the next message may go, under the rate limit.
    private let pacing = Mutex(ContinuousClock.now)
    /// The transport's stream, kept between runs so that its connections are reused.
    private let stream: StreamBox
    /// The circuit's settings for this stream's number of connections.
    private let circuitSettings: SendCircuit.Settings
    /// The name this worker's claims carry.
    let holder = LeaseHolder.forThisProcess("outbox")

    public init(
        database: AppDatabase, transport: any MailTransport, settings: Settings = Settings(),
        logger: Logger = Logger(label: "kobling.outbox"), renderArchive: @escaping ArchiveRenderer,
        composeNewsletter: @escaping NewsletterComposer
    ) {
        self.composeNewsletter = composeNewsletter
        self.renderArchive = renderArchive
        let stream = transport.makeStream()
        circuitSettings = settings.circuit.forStream(of: stream.width)
        state = Mutex(State(circuit: SendCircuit(settings: circuitSettings)))
        self.stream = StreamBox(stream)
        self.database = database
        self.settings = settings
        self.logger = logger
    }

    /// Something was queued: look now rather than at the next poll.
    public func wake() {
        wakeup.signal()
    }

    /// Why the worker is paused, or nil when it is sending.
    public var pausedReason: String? { state.withLock { $0.pausedReason } }

    /// While a burst of transient failures holds the stream back: until when, and the failure
    /// that started it.
    public var backingOff: (until: Date, reason: String)? {
        let now = database.clock.now()
        return state.withLock { state in
            guard let until = state.circuit.openUntil, now < until else { return nil }
            return (until, state.circuit.reason ?? "")
        }
    }

    /// Sending goes on: after a setup fault an organiser mended, or at once after a back-off.
    public func resume() {
        state.withLock {
            $0.pausedReason = nil
            $0.circuit = SendCircuit(settings: circuitSettings)
        }
        wakeup.signal()
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
        // A shutdown lets each connection finish the message under way and record what the server said,
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

    /// The sender stops claiming; the messages under way finish and are recorded.
    func stop() {
        state.withLock { $0.stopping = true }
        wakeup.signal()
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    /// Whether the sender may claim another row: not paused, not stopping, not backing off.
    private var mayClaim: Bool {
        let now = database.clock.now()
        return state.withLock { $0.pausedReason == nil && !$0.stopping && $0.circuit.allows(at: now) }
    }

    /// Starts due scheduled issues, then sends every due message (unless paused); answers how
    /// many were attempted.
    @discardableResult
    public func runOnce() async throws -> Int {
        try await database.startDueIssues(grace: settings.lateSendGrace)
        // Rows whose claims lapsed (a holder that stopped without an outcome) are due again.
        let lapsed = try await database.reclaimLapsedMail()
        if lapsed > 0 { logger.warning("mail whose claim lapsed is queued again", metadata: ["messages": "\(lapsed)"]) }
        // Outcomes a failed run left only in the journal go in before anything is claimed.
        try await database.applyDeliveryJournal()
        let database = self.database
        let (holder, terms) = (self.holder, settings.lease)
        let ledger = OutboxLedger(terms: terms, now: database.clock.now) { requests, renew in
            try database.settleAndClaim(requests, holder: holder, terms: terms, renew: renew)
        }
        let writer = Thread { ledger.run() }
        writer.name = "kobling.outbox.ledger"
        writer.start()
        let (attempted, failure) = await Thread.run(name: "kobling.outbox") { self.drain(ledger: ledger) }
        ledger.close()
        if let failure {
            // Issues whose last outcome is in are finished even so; the journal keeps what the
            // database may lack, for the next run to apply.
            try? await database.finishCompletedIssues(render: renderArchive)
            throw failure
        }
        // Every outcome is written: the journal's copy is no longer needed.
        try await database.clearDeliveryJournal()
        try await database.finishCompletedIssues(render: renderArchive)
        return attempted
    }

    /// Sends due rows through the stream until none is left, or sending pauses or stops (the rows
    /// held then go back to the queue). Answers how many it attempted, and the database error
    /// that stopped it, if one did.
    private func drain(ledger: OutboxLedger) -> (Int, (any Error)?) {
        stream.lock.withLock { _ in
            var feed = SendFeed(ledger: ledger, depth: SendFeed.depth * stream.stream.width)
            var underWay: [String: OutboxEntry] = [:]
            var attempted = 0
            var failure: (any Error)?
            stream.stream.run(next: {
                while failure == nil, mayClaim {
                    if let wait = paceWait() { return .wait(wait) }
                    do {
                        guard let mail = try feed.next() else { return .end }
                        switch compose(mail) {
                        case .success(var outgoing):
                            outgoing.reference = mail.entry.id
                            underWay[mail.entry.id] = mail.entry
                            takePaceSlot()
                            return .mail(outgoing)
                        case .failure(let error):
                            attempted += 1
                            try feed.record(.failed(id: mail.entry.id, reason: "the message cannot be composed: \(error)"), claiming: mayClaim)
                        }
                    } catch {
                        failure = error
                    }
                }
                return .end
            }, done: { id, result in
                guard let entry = underWay.removeValue(forKey: id) else { return }
                let outcome = self.outcome(of: result, for: entry)
                if case .sent(let id, let messageId, let reply) = outcome {
                    do {
                        try database.recordTaken(id: id, messageId: messageId, reply: reply)
                    } catch {
                        // The outcome still goes to the database with the next batch; only a
                        // crash before then would send this message again. Nothing more is sent
                        // that could not be journalled: the run ends after the messages under way.
                        logger.error("the delivery journal cannot be written", metadata: ["id": "\(id)", "error": "\(error)"])
                        failure = failure ?? error
                    }
                }
                attempted += 1
                do {
                    try feed.record(outcome, claiming: mayClaim && failure == nil)
                } catch {
                    failure = failure ?? error
                }
            })
            do {
                try feed.finish()
            } catch {
                failure = failure ?? error
            }
            return (attempted, failure)
        }
    }

    /// Waits for a wake-up or the poll interval, whichever comes first.
    private func idle() async {
        guard !Task.isCancelled && !isStopping else { return }
        await wakeup.wait(timeout: settings.pollInterval)
    }

    /// How long until the next message may go under the rate limit, or nil when it may go now.
    private func paceWait() -> Duration? {
        let wait = pacing.withLock { $0 } - ContinuousClock.now
        return wait > .zero ? wait : nil
    }

    /// Takes the next slot under the rate limit. A sender that fell behind may catch up on at
    /// most 10 ms of slots, so that a rate of thousands a second holds although waits are
    /// rounded up to whole milliseconds.
    private func takePaceSlot() {
        let interval = Duration.seconds(1 / max(settings.rate, 0.001))
        pacing.withLock { next in
            next = max(next, ContinuousClock.now - .milliseconds(10)) + interval
        }
    }

    /// A claimed row's message; one that cannot be made (logged here) fails its row.
    private func compose(_ mail: ClaimedMail) -> Result<OutgoingMail, any Error> {
        let entry = mail.entry
        let result = Result {
            if let newsletter = mail.newsletter {
                return try composeNewsletter(newsletter, entry.recipient)
            }
            guard let data = entry.message else { throw MessageUnreadable() }
            return OutgoingMail(reference: entry.id, message: try JSONDecoder().decode(MailMessage.self, from: data))
        }
        if case .failure(let error) = result {
            logger.error("mail cannot be composed", metadata: ["id": "\(entry.id)", "error": "\(error)"])
        }
        return result
    }

    /// What a message's fate means for its row.
    private func outcome(of result: Result<SentMail, MailDeliveryError>, for entry: OutboxEntry) -> MailOutcome {
        switch result {
        case .success(let sent):
            state.withLock { $0.circuit.succeeded() }
            return .sent(id: entry.id, messageId: sent.messageID, reply: sent.reply)
        case .failure(let error):
            return record(error, for: entry)
        }
    }

    private struct MessageUnreadable: Error, CustomStringConvertible {
        var description: String { "the stored message cannot be read" }
    }

    /// What a failure means for its row, and for the worker: bounces are recorded, a burst of
    /// transient failures backs off the stream, and setup faults pause sending.
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
        if error.kind == .transient {
            // A 421 or 451 may be the provider shedding load, whatever the recipient.
            let now = database.clock.now()
            if let pause = state.withLock({ $0.circuit.failedTransiently(error.description, at: now) }) {
                logger.warning("the outbox backs off after transient failures in a row", metadata: [
                    "seconds": "\(Int(pause))", "error": "\(error)"])
            }
        }
        // A refused address is a bounce, and says nothing about the setup; every other failure does.
        if let bounce = error.bounce {
            do {
                // The row's own outcome goes to the ledger with the rest.
                if try database.recordBounce(email: entry.recipient, hard: bounce == .hard, outboxId: entry.id, detail: error.description) {
                    logger.notice("address suppressed after bounces", metadata: ["id": "\(entry.id)"])
                }
            } catch {
                logger.error("bounce not recorded", metadata: ["id": "\(entry.id)", "error": "\(error)"])
            }
            return outcome
        }
        if error.kind == .setup {
            state.withLock { state in
                if state.circuit.failedOnSetup() && state.pausedReason == nil {
                    state.pausedReason = "The mail setup needs mending: \(error)"
                }
            }
        }
        return outcome
    }
}

/// The worker's stream, used by one thread at a time: the lock keeps two runs from sharing it.
private final class StreamBox: Sendable {
    let lock = Mutex(())
    nonisolated(unsafe) let stream: any MailStream

    init(_ stream: any MailStream) {
        self.stream = stream
    }
}
