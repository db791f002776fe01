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
    @discardableResult
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
        let lease = await pool.acquire()
        do {
            let reply = try await lease.run { try $0.deliver(data, from: sender, to: recipients) }
            await pool.release(lease)
            return reply
        } catch {
            await pool.release(lease)
            throw error
        }
    }
}

/// A lane: one connection, on the caller's thread.
final class SMTPLane: MailLane {
    private let transport: SMTPTransport
    private let link: SMTPLink

    init(transport: SMTPTransport) {
        self.transport = transport
        link = SMTPLink(configuration: transport.configuration)
    }

    func send(_ message: MailMessage) throws -> (messageID: String, reply: String) {
        let (messageID, data) = try transport.prepare(message)
        let reply = try link.deliver(data, from: message.from.address, to: message.to.map(\.address))
        return (messageID, reply)
    }
}

/// A connection kept for the next message: opened when first needed, and opened afresh when the
/// server closed it while idle or a failure left it unfit. One caller at a time.
final class SMTPLink: @unchecked Sendable {
    private let configuration: SMTPConfiguration
    private var connection: SMTPConnection?

    init(configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    func deliver(_ data: [UInt8], from sender: String, to recipients: [String]) throws -> String {
        if let connection, connection.isStale { self.connection = nil }
        let connection = try self.connection ?? SMTPConnection(configuration: configuration)
        self.connection = connection
        defer { if !connection.isUsable { self.connection = nil } }
        return try connection.send(from: sender, to: recipients, data: data)
    }
}

/// A link and the thread it works on.
final class Lease: Sendable {
    private let link: SMTPLink
    private let queue: DispatchQueue

    init(_ link: SMTPLink, index: Int) {
        self.link = link
        queue = DispatchQueue(label: "kobling.smtp.\(index)")
    }

    func run<T: Sendable>(_ work: @escaping @Sendable (SMTPLink) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [link] in
                continuation.resume(with: Result { try work(link) })
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

    func acquire() async -> Lease {
        while idle.isEmpty && leased >= configuration.connections {
            await withCheckedContinuation { waiting.append($0) }
        }
        leased += 1
        if let lease = idle.popLast() { return lease }
        created += 1
        return Lease(SMTPLink(configuration: configuration), index: created)
    }

    func release(_ lease: Lease) {
        leased -= 1
        idle.append(lease)
        if !waiting.isEmpty { waiting.removeFirst().resume() }
    }
}
