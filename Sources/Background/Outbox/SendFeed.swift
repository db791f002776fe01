import KoblingCore
import Storage

/// The sender's claimed rows and its requests to the ledger, kept so that it seldom waits.
///
/// The sender holds up to `depth` claimed rows (marked "sending" in the database), asking for more
/// as it hands in each outcome, and waits for the ledger only when it holds none. Rows of an
/// issue that stopped being sent (paused or cancelled) are handed back unsent with the next
/// request; so are all the rows it holds when it stops.
struct SendFeed {
    /// Rows held for each connection: enough to bridge a few ledger batches at full speed.
    static let depth = 64

    private let ledger: OutboxLedger
    private let depth: Int
    /// Held rows, oldest first.
    private var held = FIFO<ClaimedMail>()
    /// Requests not yet answered, oldest first, and the rows they ask for.
    private var pending = FIFO<OutboxLedger.Ticket>()
    private var asked = 0
    private var toRelease: [String] = []
    /// The issues being sent, as the latest answer had them.
    private var sending: Set<String>?

    init(ledger: OutboxLedger, depth: Int = Self.depth) {
        self.ledger = ledger
        self.depth = depth
    }

    private var heldCount: Int { held.count }
    private var hasPending: Bool { !pending.isEmpty }

    /// The next row to send; nil when nothing is due.
    mutating func next() throws -> ClaimedMail? {
        try absorbAnswered()
        while heldCount == 0, hasPending { try absorbFirst() }
        if heldCount == 0 {
            let ticket = ledger.submit(.init(outcome: nil, claim: depth, release: toRelease))
            toRelease = []
            try absorb(ticket.wait(), asked: 0)
        }
        return held.popFirst()
    }

    /// Hands in how a message went, asking for rows to keep `depth` in hand unless `claiming`
    /// is false; does not wait.
    mutating func record(_ outcome: MailOutcome, claiming: Bool) throws {
        try absorbAnswered()
        let claim = claiming ? max(depth - heldCount - asked, 0) : 0
        submit(.init(outcome: outcome, claim: claim, release: toRelease))
    }

    /// Hands back the rows not sent, and waits until everything handed in is written.
    mutating func finish() throws {
        while hasPending { try absorbFirst() }
        let unsent = toRelease + held.elements.map(\.entry.id)
        held.removeAll()
        toRelease = []
        guard !unsent.isEmpty else { return }
        _ = try ledger.submit(.init(outcome: nil, claim: 0, release: unsent)).wait()
    }

    private mutating func submit(_ request: AppDatabase.SendRequest) {
        pending.append(ledger.submit(request))
        asked += request.claim
        toRelease = []
    }

    private mutating func absorbAnswered() throws {
        while let first = pending.first, first.isAnswered { try absorbFirst() }
    }

    private mutating func absorbFirst() throws {
        guard let ticket = pending.popFirst() else { return }
        try absorb(ticket.wait(), asked: ticket.claim)
    }

    private mutating func absorb(_ answer: OutboxLedger.Answer, asked claim: Int) {
        asked -= claim
        held.append(contentsOf: answer.claimed)
        // Rows are claimed only from issues being sent, in the transaction that names them; the
        // rows held need checking again only when that list changes.
        guard answer.issuesSending != sending else { return }
        sending = answer.issuesSending
        var kept = FIFO<ClaimedMail>()
        for mail in held.elements {
            if let issue = mail.newsletter?.issueId, !answer.issuesSending.contains(issue) {
                toRelease.append(mail.entry.id)
            } else {
                kept.append(mail)
            }
        }
        held = kept
    }
}
