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

    /// A sender for a worker that sends many messages: it works on the caller's thread, over
    /// connections of its own that it keeps for the next run.
    func makeStream() -> any MailStream
}

/// One message handed to a stream: a template, whom it goes to and their values, and the
/// caller's reference for its outcome.
public struct OutgoingMail: Sendable {
    public var reference: String
    public var template: MessageTemplate
    public var to: [Mailbox]
    public var values: [String]

    public init(reference: String, template: MessageTemplate, to: [Mailbox], values: [String]) {
        self.reference = reference
        self.template = template
        self.to = to
        self.values = values
    }

    public init(reference: String, message: MailMessage) {
        self.init(reference: reference, template: MessageTemplate(message), to: message.to, values: [])
    }

    /// The message as it goes out, with a new Message-ID at `domain`, signed when a signer is
    /// given; answers the Message-ID too.
    public func rendered(domain: String, signer: DKIMSigner?, at date: Date = Date()) throws -> (messageID: String, data: [UInt8]) {
        let messageID = "\(Self.uniquePart())@\(domain)"
        let data = template.render(to: to, values: values, messageID: messageID, date: date)
        guard let signer else { return (messageID, data) }
        return (messageID, Array(try signer.sign(String(decoding: data, as: UTF8.self), at: date).utf8))
    }

    /// 128 random bits in lowercase hex, as a UUID would give them without its formatting.
    private static func uniquePart() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(32)
        for var word in [generator.next(), generator.next()] as [UInt64] {
            for _ in 0..<16 {
                text.append(digits[Int(word & 15)])
                word >>= 4
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// What a server said on taking a message.
public struct SentMail: Sendable, Equatable {
    public var messageID: String
    public var reply: String

    public init(messageID: String, reply: String) {
        self.messageID = messageID
        self.reply = reply
    }
}

/// What a stream's caller has for it next.
public enum StreamStep: Sendable {
    case mail(OutgoingMail)
    /// Nothing may go out before this much time has passed (a rate limit).
    case wait(Duration)
    /// Nothing more: finish what is under way.
    case end
}

/// Sends many messages, several at a time, synchronously on the caller's thread; used by one
/// thread at a time.
public protocol MailStream: AnyObject {
    /// How many messages can be under way at once.
    var width: Int { get }

    /// Sends what `next` hands out until it answers `.end`, and reports each message's outcome
    /// to `done` as soon as it is known. Returns once every message handed out has its outcome.
    func run(next: () -> StreamStep, done: (_ reference: String, Result<SentMail, MailDeliveryError>) -> Void)
}

extension MailStream {
    /// Sends one message and answers its outcome.
    public func send(_ mail: OutgoingMail) -> Result<SentMail, MailDeliveryError> {
        var handedOut = false
        var result: Result<SentMail, MailDeliveryError>?
        run(next: {
            defer { handedOut = true }
            return handedOut ? .end : .mail(mail)
        }, done: { _, outcome in result = outcome })
        return result ?? .failure(MailDeliveryError(kind: .transient, stage: .connection, detail: "the message was not sent"))
    }
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
