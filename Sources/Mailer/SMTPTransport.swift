import Dispatch
import Foundation
import Logging
import Mail

/// Sends mail through an SMTP server with libcurl: STARTTLS or TLS, AUTH, timeouts, and up to
/// `connections` messages at once, each connection kept open and reused for the next message.
///
/// A worker sending many messages uses one `SMTPStream` (`makeStream`) over all the connections;
/// single messages (`send`) each take one of up to `connections` one-connection streams, which
/// work on threads of their own so that callers wait without holding a cooperative thread.
public final class SMTPTransport: MailTransport {
    public let configuration: SMTPConfiguration
    private let domain: String
    private let logger: Logger
    private let pool: ConnectionPool
    private let signer: DKIMSigner?

    public init(
        configuration: SMTPConfiguration, messageIDDomain domain: String, signer: DKIMSigner? = nil,
        logger: Logger = Logger(label: "kobling.smtp")
    ) {
        self.configuration = configuration
        self.domain = domain
        self.signer = signer
        self.logger = logger
        pool = ConnectionPool(configuration: configuration) { [configuration, domain, signer] in
            SMTPTransport.stream(configuration, connections: 1, domain: domain, signer: signer)
        }
    }

    /// Renders and sends a message to every address in its To list; answers its Message-ID.
    @discardableResult
    public func send(_ message: MailMessage) async throws -> String {
        try await sendReportingReply(message).messageID
    }

    /// Like `send`, and also answers the server's final reply.
    public func sendReportingReply(_ message: MailMessage) async throws -> (messageID: String, reply: String) {
        let lease = await pool.acquire()
        let result = await lease.run { $0.send(OutgoingMail(reference: "", message: message)) }
        await pool.release(lease)
        let sent = try result.get()
        logger.info("mail sent", metadata: ["recipients": "\(message.to.count)", "reply": "\(sent.reply)"])
        return (sent.messageID, sent.reply)
    }

    public func makeStream() -> any MailStream {
        Self.stream(configuration, connections: configuration.connections, domain: domain, signer: signer)
    }

    private static func stream(_ configuration: SMTPConfiguration, connections: Int, domain: String, signer: DKIMSigner?) -> SMTPStream {
        SMTPStream(configuration: configuration, connections: connections) { mail in
            try mail.rendered(domain: domain, signer: signer)
        }
    }
}

/// A stream of one connection and the thread it works on.
final class Lease: Sendable {
    private nonisolated(unsafe) let stream: SMTPStream
    private let queue: DispatchQueue

    init(_ stream: SMTPStream, index: Int) {
        self.stream = stream
        queue = DispatchQueue(label: "kobling.smtp.\(index)")
    }

    func run<T: Sendable>(_ work: @escaping @Sendable (SMTPStream) -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { [stream] in
                continuation.resume(returning: work(stream))
            }
        }
    }
}

/// At most `connections` leases out at once; callers beyond that wait their turn, in order.
actor ConnectionPool {
    private let configuration: SMTPConfiguration
    private let makeStream: @Sendable () -> SMTPStream
    private var idle: [Lease] = []
    private var leased = 0
    private var created = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(configuration: SMTPConfiguration, makeStream: @escaping @Sendable () -> SMTPStream) {
        self.configuration = configuration
        self.makeStream = makeStream
    }

    func acquire() async -> Lease {
        while idle.isEmpty && leased >= configuration.connections {
            await withCheckedContinuation { waiting.append($0) }
        }
        leased += 1
        if let lease = idle.popLast() { return lease }
        created += 1
        return Lease(makeStream(), index: created)
    }

    func release(_ lease: Lease) {
        leased -= 1
        idle.append(lease)
        if !waiting.isEmpty { waiting.removeFirst().resume() }
    }
}
