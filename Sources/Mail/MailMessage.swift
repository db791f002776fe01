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
}
