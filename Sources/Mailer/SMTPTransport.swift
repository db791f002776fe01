import Dispatch
import Foundation
import Logging
import Mail

/// Sends mail through an SMTP server with libcurl: STARTTLS or TLS, AUTH, timeouts, and up to
/// `connections` messages at once, each connection kept open and reused for the next message.
///
/// libcurl's calls block, so each connection works on a thread of its own and callers wait
/// without holding one of Swift's cooperative threads.
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
        pool = ConnectionPool(configuration: configuration)
    }

    /// Renders and sends a message to every address in its To list; answers its Message-ID.
    public func send(_ message: MailMessage) async throws -> String {
        try await sendReportingReply(message).messageID
    }

    /// Like `send`, and also answers the server's final reply.
    public func sendReportingReply(_ message: MailMessage) async throws -> (messageID: String, reply: String) {
        let (messageID, data) = try prepare(message)
        let reply = try await deliver(data, from: message.from.address, to: message.to.map(\.address))
        logger.info("mail sent", metadata: ["recipients": "\(message.to.count)", "reply": "\(reply)"])
        return (messageID, reply)
    }

    /// The message as it goes on the wire, rendered and signed, with its new Message-ID.
    func prepare(_ message: MailMessage) throws -> (messageID: String, data: [UInt8]) {
        let messageID = "\(UUID().uuidString.lowercased())@\(domain)"
        let now = Date()
        var text = MessageRenderer.render(message, messageID: messageID, date: now)
        if let signer { text = try signer.sign(text, at: now) }
        return (messageID, Array(text.utf8))
    }

    public func makeLane() -> any MailLane {
        SMTPLane(transport: self)
    }

    /// Sends rendered bytes to the envelope recipients; answers the server's final reply.
    public func deliver(_ data: [UInt8], from sender: String, to recipients: [String]) async throws -> String {
        let lease = try await pool.acquire()
        do {
            let reply = try await lease.run { try $0.send(from: sender, to: recipients, data: data) }
            await pool.release(lease)
            return reply
        } catch {
            // After a failure the connection may be in any state: start the next message afresh.
            await pool.discard(lease)
            throw error
        }
    }
}

/// One connection, used on the caller's thread: opened when first needed, kept for the next
/// message, and opened afresh after a failure (which may leave it in any state).
final class SMTPLane: MailLane {
    private let transport: SMTPTransport
    private var connection: SMTPConnection?

    init(transport: SMTPTransport) {
        self.transport = transport
    }

    func send(_ message: MailMessage) throws -> (messageID: String, reply: String) {
        let (messageID, data) = try transport.prepare(message)
        do {
            let connection = try self.connection ?? SMTPConnection(configuration: transport.configuration)
            self.connection = connection
            let reply = try connection.send(from: message.from.address, to: message.to.map(\.address), data: data)
            return (messageID, reply)
        } catch {
            connection = nil
            throw error
        }
    }
}

/// A connection and the thread it works on.
final class Lease: Sendable {
    let connection: SMTPConnection
    private let queue: DispatchQueue

    init(_ connection: SMTPConnection, index: Int) {
        self.connection = connection
        queue = DispatchQueue(label: "kobling.smtp.\(index)")
    }

    func run<T: Sendable>(_ work: @escaping @Sendable (SMTPConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [connection] in
                continuation.resume(with: Result { try work(connection) })
            }
        }
    }
}

/// At most `connections` leases out at once; callers beyond that wait their turn, in order.
actor ConnectionPool {
    private let configuration: SMTPConfiguration
    private var idle: [Lease] = []
    private var leased = 0
    private var created = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    func acquire() async throws -> Lease {
        while idle.isEmpty && leased >= configuration.connections {
            await withCheckedContinuation { waiting.append($0) }
        }
        leased += 1
        if let lease = idle.popLast() { return lease }
        do {
            created += 1
            return Lease(try SMTPConnection(configuration: configuration), index: created)
        } catch {
            leased -= 1
            wakeOne()
            throw error
        }
    }

    func release(_ lease: Lease) {
        leased -= 1
        idle.append(lease)
        wakeOne()
    }

    func discard(_ lease: Lease) {
        leased -= 1
        wakeOne()
    }

    private func wakeOne() {
        if !waiting.isEmpty { waiting.removeFirst().resume() }
    }
}
