import Mail
@testable import Mailer
import Testing

/// The transactions of one connection, without a server: what is written when, and what each
/// reply decides.
struct SMTPSessionTests {
    static func capabilities(pipelining: Bool) -> SMTPCapabilities {
        var capabilities = SMTPCapabilities()
        capabilities.pipelining = pipelining
        return capabilities
    }

    static func message(_ tag: Int, to recipients: [String] = ["a@example.test"]) -> SMTPTransaction {
        SMTPTransaction(tag: tag, sender: "hub@kobling.test", recipients: recipients, content: Array("Body \(tag)\r\n.\r\n".utf8))
    }

    /// What the session has written since the last call.
    static func written(_ session: inout SMTPSession) -> String {
        defer { session.output.removeAll() }
        return String(decoding: session.output, as: UTF8.self)
    }

    static func reply(_ code: Int, _ text: String = "ok") -> SMTPReply {
        SMTPReply(code: code, lines: [text])
    }

    /// A pipelining session that has sent a message to `recipients` and had `replies` to it,
    /// each deciding nothing yet.
    static func pipelined(to recipients: [String], replies: [SMTPReply]) -> SMTPSession {
        var session = SMTPSession(capabilities: capabilities(pipelining: true))
        session.send(message(1, to: recipients))
        _ = written(&session)
        for reply in replies { #expect(session.receive(reply).isEmpty) }
        return session
    }

    @Test func withPipeliningContentTravelsWithTheNextMessagesCommands() {
        var session = SMTPSession(capabilities: Self.capabilities(pipelining: true))
        session.send(Self.message(1))
        #expect(Self.written(&session) == "MAIL FROM:<hub@kobling.test>\r\nRCPT TO:<a@example.test>\r\nDATA\r\n")
        #expect(!session.wantsMessage)
        #expect(session.receive(Self.reply(250)).isEmpty)
        #expect(session.receive(Self.reply(250)).isEmpty)
        #expect(session.receive(Self.reply(354)).isEmpty)
        #expect(session.wantsMessage && session.holdsMessage)
        // One write: the first message's content, then the second message's commands.
        session.send(Self.message(2))
        #expect(Self.written(&session) == "Body 1\r\n.\r\nMAIL FROM:<hub@kobling.test>\r\nRCPT TO:<a@example.test>\r\nDATA\r\n")
        #expect(session.receive(Self.reply(250, "2.0.0 queued as A")) == [.delivered(tag: 1, reply: "250 2.0.0 queued as A")])
        for code in [250, 250, 354] { #expect(session.receive(Self.reply(code)).isEmpty) }
        // Nothing more to send: the held content goes alone.
        session.send(nil)
        #expect(Self.written(&session) == "Body 2\r\n.\r\n")
        #expect(session.receive(Self.reply(250)) == [.delivered(tag: 2, reply: "250 ok")])
        #expect(!session.isBusy && session.wantsMessage && !session.holdsMessage)
    }

    @Test func withoutPipeliningEachCommandWaitsForTheReplyBefore() {
        var session = SMTPSession(capabilities: Self.capabilities(pipelining: false))
        session.send(Self.message(1, to: ["a@example.test", "b@example.test"]))
        #expect(Self.written(&session) == "MAIL FROM:<hub@kobling.test>\r\n")
        _ = session.receive(Self.reply(250))
        #expect(Self.written(&session) == "RCPT TO:<a@example.test>\r\n")
        _ = session.receive(Self.reply(250))
        #expect(Self.written(&session) == "RCPT TO:<b@example.test>\r\n")
        _ = session.receive(Self.reply(250))
        #expect(Self.written(&session) == "DATA\r\n")
        _ = session.receive(Self.reply(354))
        session.send(Self.message(2))
        #expect(Self.written(&session) == "Body 1\r\n.\r\n", "the next MAIL waits for the content's reply")
        #expect(session.receive(Self.reply(250)) == [.delivered(tag: 1, reply: "250 ok")])
        #expect(Self.written(&session) == "MAIL FROM:<hub@kobling.test>\r\n")
        // A refused recipient ends the message: no DATA, and RSET before anything else.
        _ = session.receive(Self.reply(250))
        #expect(Self.written(&session) == "RCPT TO:<a@example.test>\r\n")
        let events = session.receive(Self.reply(550, "5.1.1 no such user"))
        #expect(events == [.refused(tag: 2, MailDeliveryError(kind: .permanent, stage: .recipient, code: 550, detail: "550 5.1.1 no such user"))])
        #expect(Self.written(&session) == "RSET\r\n")
        #expect(!session.wantsMessage)
        _ = session.receive(Self.reply(250))
        #expect(session.wantsMessage && !session.mustClose)
    }

    @Test func aPipelinedRefusalIsReportedOnceItsGroupIsAnsweredThenReset() {
        var session = Self.pipelined(to: ["a@example.test", "b@example.test"], replies: [Self.reply(250), Self.reply(451, "try later"), Self.reply(250)])
        // DATA refused too (no valid recipients is common): the first refusal is the reason.
        #expect(session.receive(Self.reply(554)) == [.refused(tag: 1, MailDeliveryError(kind: .transient, stage: .recipient, code: 451, detail: "451 try later"))])
        #expect(Self.written(&session) == "RSET\r\n")
        _ = session.receive(Self.reply(250))
        #expect(session.wantsMessage && !session.mustClose)
    }

    @Test func dataAcceptedAfterARefusalClosesTheConnection() {
        var session = Self.pipelined(to: ["a@example.test", "gone@example.test"], replies: [Self.reply(250), Self.reply(250), Self.reply(550)])
        let events = session.receive(Self.reply(354))
        #expect(events.count == 1 && session.mustClose)
        #expect(Self.written(&session) == "", "neither a dot nor RSET: the connection is closed")
    }

    @Test func a421EndsTheConnectionAndWhatIsUnderWayIsKnown() {
        var session = Self.pipelined(to: ["a@example.test"], replies: [250, 250, 354].map { Self.reply($0) })
        session.send(Self.message(2))
        let events = session.receive(Self.reply(421, "shutting down"))
        #expect(events == [.refused(tag: 1, MailDeliveryError(kind: .transient, stage: .data, code: 421, detail: "421 shutting down"))])
        #expect(session.mustClose)
        // Message 2's commands were written but never answered: the caller fails it.
        #expect(session.inFlight.map(\.tag) == [2])
        #expect(session.inFlight.first?.contentSent == false)
    }

    @Test func aReplyNobodyAskedForClosesTheConnection() {
        var session = SMTPSession(capabilities: Self.capabilities(pipelining: true))
        #expect(session.receive(Self.reply(250)).isEmpty)
        #expect(session.mustClose)
    }
}
