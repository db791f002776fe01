import Foundation
import KoblingCore
import Mail

#if canImport(Glibc)
import Glibc
#endif

/// Sends messages over several SMTP connections from one thread, with one `poll` over all of them,
/// as a bulk sender does: while one server reply is on its way, the other connections write.
///
/// Each connection has an `SMTPSession`, which decides what to write and what each reply means;
/// this type moves the bytes and hands out the work. A connection whose DATA was accepted gets the
/// next message at once, so that with PIPELINING its commands travel with the previous content.
/// Connections are opened when first needed, kept between runs, checked before reuse after sitting
/// idle, and dropped when they fail; the messages under way on a dropped one fail as transient,
/// for the caller to retry. libcurl's connect (TCP, TLS, EHLO, AUTH: several round trips to a
/// distant server) blocks, so each opening runs on a thread of its own while the other connections
/// go on sending; it wakes the loop through a pipe when it is done.
///
/// Not thread-safe: one caller at a time (the worker's lock, or a lease of the transport's pool).
final class SMTPStream: MailStream, @unchecked Sendable {
    private let configuration: SMTPConfiguration
    private let prepare: (OutgoingMail) throws -> (messageID: String, data: [UInt8])
    private let slots: [Slot]
    /// Written to by a thread that has opened a connection, so that `poll` wakes.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Messages under way, by tag.
    private var underWay: [Int: (reference: String, messageID: String)] = [:]
    private var lastTag = 0

    private final class Slot {
        var connection: SMTPConnection?
        var session: SMTPSession?
        /// How much of the session's output is written.
        var written = 0
        /// When the awaited reply is overdue.
        var deadline: ContinuousClock.Instant?
        /// A connection being opened, and the message waiting for it.
        var opening: (Opening, OutgoingMail, SMTPTransaction)?
    }

    /// A connection opened on a thread of its own; the loop collects it.
    private final class Opening: @unchecked Sendable {
        private let lock = NSLock()
        private var outcome: Result<SMTPConnection, MailDeliveryError>?

        init(_ configuration: SMTPConfiguration, wake: Int32) {
            let thread = Thread { [self] in
                let result = Result { try SMTPConnection(configuration: configuration) }.mapError {
                    $0 as? MailDeliveryError ?? MailDeliveryError(kind: .transient, stage: .connection, detail: "\($0)")
                }
                lock.withLock { outcome = result }
                var byte: UInt8 = 1
                _ = Glibc.write(wake, &byte, 1)
            }
            thread.name = "kobling.smtp.connect"
            thread.start()
        }

        var result: Result<SMTPConnection, MailDeliveryError>? { lock.withLock { outcome } }
    }

    init(configuration: SMTPConfiguration, connections: Int, prepare: @escaping (OutgoingMail) throws -> (messageID: String, data: [UInt8])) {
        self.configuration = configuration
        self.prepare = prepare
        slots = (0..<max(connections, 1)).map { _ in Slot() }
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
            _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
    }

    deinit {
        // No opening outlives `run`, which waits for every one it starts.
        close(wakeRead)
        close(wakeWrite)
    }

    var width: Int { slots.count }

    func run(next: () -> StreamStep, done: (String, Result<SentMail, MailDeliveryError>) -> Void) {
        let clock = ContinuousClock()
        let timeout = Duration.seconds(configuration.timeout)
        var ended = false
        var resumeAt: ContinuousClock.Instant?
        var descriptors: [pollfd] = []
        var polled: [Slot] = []

        /// The next message for a slot, if one may go now; messages that cannot be prepared fail.
        func take() -> (OutgoingMail, SMTPTransaction)? {
            while !ended {
                if let resume = resumeAt, clock.now < resume { return nil }
                switch next() {
                case .end:
                    ended = true
                case .wait(let duration):
                    resumeAt = clock.now + duration
                case .mail(let mail):
                    resumeAt = nil
                    do {
                        let (messageID, data) = try prepare(mail)
                        lastTag += 1
                        underWay[lastTag] = (mail.reference, messageID)
                        return (mail, SMTPTransaction(
                            tag: lastTag, sender: mail.template.from.address, recipients: mail.to.map(\.address),
                            content: SMTPCommands.dataBlock(data)))
                    } catch {
                        done(mail.reference, .failure(
                            error as? MailDeliveryError ?? MailDeliveryError(kind: .transient, stage: .connection, detail: "\(error)")))
                    }
                }
            }
            return nil
        }

        func report(_ tag: Int, _ result: Result<String, MailDeliveryError>) {
            guard let message = underWay.removeValue(forKey: tag) else { return }
            done(message.reference, result.map { SentMail(messageID: message.messageID, reply: $0) })
        }

        /// Drops a slot's connection; what was under way on it fails, as the server may or may
        /// not have taken a message whose content it had.
        func drop(_ slot: Slot, _ detail: String) {
            for (tag, contentSent) in slot.session?.inFlight ?? [] {
                report(tag, .failure(MailDeliveryError(kind: .transient, stage: contentSent ? .data : .connection, detail: detail)))
            }
            slot.connection?.abandon()
            slot.connection = nil
            slot.session = nil
            slot.written = 0
            slot.deadline = nil
        }

        /// Writes what the slot's session has for the server, as far as the socket takes it.
        func flush(_ slot: Slot) {
            guard let connection = slot.connection, slot.session != nil else { return }
            while slot.written < slot.session!.output.count {
                let written = slot.written
                let count = slot.session!.output.withUnsafeBytes { bytes in
                    Result { () throws(SMTPConnection.Lost) in try connection.write(UnsafeRawBufferPointer(rebasing: bytes[written...])) }
                }
                switch count {
                case .success(0): return
                case .success(let count): slot.written += count
                case .failure(let error): return drop(slot, error.description)
                }
            }
            slot.session!.output.removeAll(keepingCapacity: true)
            slot.written = 0
        }

        /// Hands the slot its next message, or sends the content of the one it holds. A message
        /// for a slot without a usable connection waits in the slot while one is opened.
        func feed(_ slot: Slot) {
            guard slot.opening == nil, slot.session?.wantsMessage ?? true else { return }
            let holds = slot.session?.holdsMessage ?? false
            let taken = take()
            guard taken != nil || holds else { return }
            if let (mail, transaction) = taken, !holds, slot.connection?.isStale ?? true {
                drop(slot, "the connection was closed")
                slot.opening = (Opening(configuration, wake: wakeWrite), mail, transaction)
                return
            }
            start(slot, taken?.1)
        }

        func start(_ slot: Slot, _ transaction: SMTPTransaction?) {
            slot.session!.send(transaction)
            if slot.deadline == nil { slot.deadline = clock.now + timeout }
            flush(slot)
        }

        /// Takes in the connections opened since the last look, and starts their messages.
        func collectOpenings() {
            var byte: UInt8 = 0
            while Glibc.read(wakeRead, &byte, 1) > 0 {}
            for slot in slots {
                guard let (opening, mail, transaction) = slot.opening, let result = opening.result else { continue }
                slot.opening = nil
                switch result {
                case .success(let connection):
                    slot.connection = connection
                    slot.session = SMTPSession(capabilities: connection.capabilities)
                    start(slot, transaction)
                case .failure(let error):
                    underWay[transaction.tag] = nil
                    done(mail.reference, .failure(error))
                }
            }
        }

        /// Reads the slot's replies and reports the outcomes they decide; then, if the connection
        /// ended, fails what is still under way on it.
        func read(_ slot: Slot) {
            guard let connection = slot.connection else { return }
            let received = connection.receive()
            for reply in received.replies {
                for event in slot.session!.receive(reply) {
                    switch event {
                    case .delivered(let tag, let text): report(tag, .success(text))
                    case .refused(let tag, let error): report(tag, .failure(error))
                    }
                }
            }
            if let lost = received.lost { return drop(slot, lost.description) }
            guard let last = received.replies.last else { return }
            if slot.session!.mustClose { return drop(slot, "the server ended the connection (\(last.text))") }
            slot.deadline = slot.session!.isBusy ? clock.now + timeout : nil
            flush(slot)
        }

        while true {
            for slot in slots { feed(slot) }
            polled.removeAll(keepingCapacity: true)
            descriptors.removeAll(keepingCapacity: true)
            for slot in slots {
                guard let session = slot.session, session.isBusy, let connection = slot.connection else { continue }
                let events = POLLIN | (session.output.isEmpty ? 0 : POLLOUT)
                polled.append(slot)
                descriptors.append(pollfd(fd: connection.socket, events: Int16(events), revents: 0))
            }
            let opening = slots.contains { $0.opening != nil }
            if polled.isEmpty && !opening {
                if ended { return }
                if let resume = resumeAt {
                    let wait = resume - clock.now
                    if wait > .zero { Thread.sleep(forTimeInterval: wait.inSeconds) }
                }
                continue
            }
            if opening { descriptors.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)) }
            let now = clock.now
            // An opening ends within libcurl's own timeouts; the loop waits for it as long as need be.
            var until = polled.compactMap(\.deadline).min() ?? now + timeout
            if let resume = resumeAt, resume < until { until = resume }
            let milliseconds = Int32(max(0, ((until - now).inSeconds * 1000).rounded(.up)))
            let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
            if ready < 0 && errno != EINTR {
                for slot in polled { drop(slot, "poll failed: \(String(cString: strerror(errno)))") }
                continue
            }
            if opening { collectOpenings() }
            for (index, slot) in polled.enumerated() where descriptors[index].revents != 0 {
                if descriptors[index].revents & Int16(POLLOUT) != 0 { flush(slot) }
                if descriptors[index].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { read(slot) }
            }
            let later = clock.now
            for slot in polled {
                if let deadline = slot.deadline, deadline <= later {
                    drop(slot, "the server did not answer within \(configuration.timeout) s")
                }
            }
        }
    }
}
