import Mail

/// One message as an SMTP transaction carries it: the envelope, and the content already in the
/// form DATA sends it (`SMTPCommands.dataBlock`).
struct SMTPTransaction {
    /// The caller's number for it, given back with its outcome.
    let tag: Int
    let sender: String
    let recipients: [String]
    let content: [UInt8]
}

/// The mail transactions of one connection as a state machine, apart from its socket: what to
/// write next, which reply answers what, and what each reply means (RFC 5321 §3.3, §4.2).
///
/// When the server offers PIPELINING (RFC 2920), a transaction's MAIL, RCPT and DATA go out in
/// one group, and so does the content of one message together with the commands of the next:
/// content may open a group and DATA closes one. Once the first message is under way, each
/// further message then costs one round trip: its DATA's 354 comes back with the previous
/// message's 250. Without PIPELINING, commands go one at a time, each after the last reply.
///
/// A refused sender or recipient fails the message (there is no partial delivery) and the
/// transaction is reset with RSET, so that the connection carries the next. If the server
/// accepted DATA anyway, ending it would deliver an empty message to whom it took: the
/// connection must be closed instead (`mustClose`), as after a 421 or a reply out of turn.
struct SMTPSession {
    enum Event: Equatable {
        case delivered(tag: Int, reply: String)
        case refused(tag: Int, MailDeliveryError)
    }

    private enum Expect: Equatable {
        case sender, recipient, data, content, reset
    }

    /// A command written, or to write, and the tag of its transaction (none for RSET).
    private struct Step {
        var expect: Expect
        var tag: Int?
        var command: [UInt8]
    }

    let pipelining: Bool
    /// Whether MAIL carries the message's size (RFC 1870).
    let declaresSize: Bool
    /// Bytes to write, in order; the connection takes them from the front.
    var output: [UInt8] = []
    /// Replies awaited, oldest first.
    private var awaiting: [Step] = []
    private var awaitingStart = 0
    /// Commands not yet written (without PIPELINING they wait for the reply before them).
    private var unsent: [Step] = []
    /// The transaction whose commands are being answered, and its first refusal.
    private var open: SMTPTransaction?
    private var refusal: MailDeliveryError?
    /// A transaction whose DATA the server accepted: its content goes with the next write.
    private var ready: SMTPTransaction?
    /// The connection cannot carry another message and must be closed.
    private(set) var mustClose = false

    init(capabilities: SMTPCapabilities) {
        pipelining = capabilities.pipelining
        declaresSize = capabilities.size != nil
    }

    /// Whether the session can take the next message: nothing is awaited, and at most one
    /// message waits for its content to be sent.
    var wantsMessage: Bool { !mustClose && awaitingStart == awaiting.count && unsent.isEmpty }

    /// A message whose DATA was accepted waits for its content.
    var holdsMessage: Bool { ready != nil }

    /// Replies are awaited or bytes are to be written.
    var isBusy: Bool { awaitingStart < awaiting.count || !unsent.isEmpty || !output.isEmpty }

    /// The tags of every message under way, and whether its content was sent (so that the server
    /// may have taken it), for failing them when the connection is lost.
    var inFlight: [(tag: Int, contentSent: Bool)] {
        var tags: [(Int, Bool)] = []
        for step in awaiting[awaitingStart...] + unsent {
            guard let tag = step.tag else { continue }
            if let index = tags.firstIndex(where: { $0.0 == tag }) {
                tags[index].1 = tags[index].1 || step.expect == .content
            } else {
                tags.append((tag, step.expect == .content))
            }
        }
        if let ready, !tags.contains(where: { $0.0 == ready.tag }) { tags.append((ready.tag, false)) }
        return tags
    }

    /// Sends the content of the message that holds, if one does, then starts `next`, if given.
    /// Only when `wantsMessage`.
    mutating func send(_ next: SMTPTransaction?) {
        precondition(wantsMessage, "the session is not ready for a message")
        if let ready {
            queue(Step(expect: .content, tag: ready.tag, command: ready.content))
            self.ready = nil
        }
        guard let next else { return pump() }
        open = next
        refusal = nil
        queue(Step(expect: .sender, tag: next.tag, command: SMTPCommands.mail(from: next.sender, size: declaresSize ? next.content.count : nil)))
        for recipient in next.recipients {
            queue(Step(expect: .recipient, tag: next.tag, command: SMTPCommands.recipient(recipient)))
        }
        queue(Step(expect: .data, tag: next.tag, command: SMTPCommands.data))
        pump()
    }

    /// Takes in one reply; answers the outcomes it decides.
    mutating func receive(_ reply: SMTPReply) -> [Event] {
        guard awaitingStart < awaiting.count else {
            // Nothing was asked: a 421 before closing, or a server out of step.
            mustClose = true
            return []
        }
        let step = awaiting[awaitingStart]
        awaitingStart += 1
        if awaitingStart == awaiting.count {
            awaiting.removeAll(keepingCapacity: true)
            awaitingStart = 0
        }
        if reply.code == 421 { mustClose = true }
        var events: [Event] = []
        switch step.expect {
        case .sender, .recipient:
            if reply.code / 100 != 2 && refusal == nil {
                refusal = Self.refusal(reply, at: step.expect == .sender ? .sender : .recipient)
                if !pipelining {
                    // The rest of the transaction is not sent: it ends here.
                    unsent.removeAll { $0.tag == step.tag }
                    events.append(endRefused())
                }
            }
        case .data:
            if let refusal {
                // Accepted after a refusal: a dot would deliver an empty message.
                if reply.code == 354 { mustClose = true }
                events.append(.refused(tag: step.tag!, refusal))
                self.refusal = nil
                open = nil
                if !mustClose { reset() }
            } else if reply.code == 354 {
                ready = open
                open = nil
            } else {
                refusal = Self.refusal(reply, at: .data)
                events.append(endRefused())
            }
        case .content:
            if reply.code / 100 == 2 {
                events.append(.delivered(tag: step.tag!, reply: reply.text))
            } else {
                events.append(.refused(tag: step.tag!, Self.refusal(reply, at: .data)))
            }
        case .reset:
            if reply.code != 250 { mustClose = true }
        }
        pump()
        return events
    }

    /// Ends the open transaction with its refusal, and resets it.
    private mutating func endRefused() -> Event {
        let event = Event.refused(tag: open!.tag, refusal!)
        open = nil
        refusal = nil
        if !mustClose { reset() }
        return event
    }

    private mutating func reset() {
        queue(Step(expect: .reset, tag: nil, command: SMTPCommands.reset))
    }

    private mutating func queue(_ step: Step) {
        unsent.append(step)
    }

    /// Moves what may be written now into the output: everything with PIPELINING, else the next
    /// command once nothing is awaited.
    private mutating func pump() {
        guard !mustClose else {
            unsent.removeAll()
            return
        }
        while let step = unsent.first, pipelining || awaitingStart == awaiting.count {
            unsent.removeFirst()
            output += step.command
            awaiting.append(step)
        }
    }

    private static func refusal(_ reply: SMTPReply, at stage: MailDeliveryError.Stage) -> MailDeliveryError {
        MailDeliveryError(kind: reply.code >= 500 ? .permanent : .transient, stage: stage, code: reply.code, detail: reply.text)
    }
}
