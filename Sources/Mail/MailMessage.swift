import Foundation

/// A mailbox: an address and an optional display name (which may hold æ, ø, å).
public struct Mailbox: Sendable, Equatable, Codable {
    public var address: String
    public var name: String?

    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }
}

/// An email as every part of Kobling describes it; transports decide how it travels.
public struct MailMessage: Sendable, Equatable {
    public var from: Mailbox
    public var to: [Mailbox]
    public var replyTo: Mailbox?
    public var subject: String
    public var text: String
    public var html: String?
    /// Extra headers, such as List-Unsubscribe.
    public var headers: [(String, String)]

    public init(from: Mailbox, to: [Mailbox], replyTo: Mailbox? = nil, subject: String, text: String, html: String? = nil, headers: [(String, String)] = []) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.headers = headers
    }

    public static func == (lhs: MailMessage, rhs: MailMessage) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.replyTo == rhs.replyTo && lhs.subject == rhs.subject
            && lhs.text == rhs.text && lhs.html == rhs.html
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }
}

/// The one interface through which Kobling sends email.
public protocol MailTransport: Sendable {
    /// Sends the message; answers the Message-ID it went out with.
    @discardableResult
    func send(_ message: MailMessage) async throws -> String

    /// Sends the message; answers its Message-ID and what the server said on taking it.
    func sendReportingReply(_ message: MailMessage) async throws -> (messageID: String, reply: String)

    /// A sender for one thread of a worker that sends many messages: it works on the caller's
    /// thread, one message at a time, over a connection of its own that it keeps for the next.
    func makeLane() -> any MailLane
}

/// Sends synchronously on the caller's thread; used by one thread at a time.
public protocol MailLane: AnyObject {
    /// Sends the message; answers its Message-ID and what the server said on taking it.
    func send(_ message: MailMessage) throws -> (messageID: String, reply: String)
}

extension MailTransport {
    public func sendReportingReply(_ message: MailMessage) async throws -> (messageID: String, reply: String) {
        (try await send(message), "accepted")
    }
}

/// As JSON, so that a message can wait in the outbox: headers as a list of [name, value] pairs.
extension MailMessage: Codable {
    private enum CodingKeys: String, CodingKey {
        case from, to, replyTo, subject, text, html, headers
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        from = try container.decode(Mailbox.self, forKey: .from)
        to = try container.decode([Mailbox].self, forKey: .to)
        replyTo = try container.decodeIfPresent(Mailbox.self, forKey: .replyTo)
        subject = try container.decode(String.self, forKey: .subject)
        text = try container.decode(String.self, forKey: .text)
        html = try container.decodeIfPresent(String.self, forKey: .html)
        headers = try container.decode([[String]].self, forKey: .headers).compactMap { pair in
            pair.count == 2 ? (pair[0], pair[1]) : nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encodeIfPresent(replyTo, forKey: .replyTo)
        try container.encode(subject, forKey: .subject)
        try container.encode(text, forKey: .text)
        try container.encodeIfPresent(html, forKey: .html)
        try container.encode(headers.map { [$0.0, $0.1] }, forKey: .headers)
    }
}
