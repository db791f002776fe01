import Storage

/// A lane's claimed rows and its requests to the ledger, kept so that the lane seldom waits.
///
/// A lane holds up to `depth` claimed rows (marked "sending" in the database), asking for more
/// as it hands in each outcome, and waits for the ledger only when it holds none. Rows of an
/// issue that stopped being sent (paused or cancelled) are handed back unsent with the next
/// request; so are all the rows it holds when it stops.
struct LaneFeed {
    static let depth = 8

    private let ledger: OutboxLedger
    private var held: [ClaimedMail] = []
    private var pending: [OutboxLedger.Ticket] = []
    private var toRelease: [String] = []

    init(ledger: OutboxLedger) {
        self.ledger = ledger
    }

    /// The next row to send; nil when nothing is due.
    mutating func next() throws -> ClaimedMail? {
        try absorbAnswered()
        while held.isEmpty, !pending.isEmpty { try absorb(pending.removeFirst().wait()) }
        if held.isEmpty {
            let ticket = ledger.submit(.init(outcome: nil, claim: Self.depth, release: toRelease))
            toRelease = []
            try absorb(ticket.wait())
        }
        return held.isEmpty ? nil : held.removeFirst()
    }

    /// Hands in how a message went, asking for rows to keep `depth` in hand unless `claiming`
    /// is false; does not wait.
    mutating func record(_ outcome: MailOutcome, claiming: Bool) throws {
        try absorbAnswered()
        let asked = pending.reduce(0) { $0 + $1.claim }
        let claim = claiming ? max(Self.depth - held.count - asked, 0) : 0
        pending.append(ledger.submit(.init(outcome: outcome, claim: claim, release: toRelease)))
        toRelease = []
    }

    /// Hands back the rows not sent, and waits until everything handed in is written.
    mutating func finish() throws {
        while !pending.isEmpty { try absorb(pending.removeFirst().wait()) }
        let unsent = toRelease + held.map(\.entry.id)
        held = []
        toRelease = []
        guard !unsent.isEmpty else { return }
        _ = try ledger.submit(.init(outcome: nil, claim: 0, release: unsent)).wait()
    }

    private mutating func absorbAnswered() throws {
        while let first = pending.first, first.isAnswered { try absorb(pending.removeFirst().wait()) }
    }

    private mutating func absorb(_ answer: OutboxLedger.Answer) {
        held += answer.claimed
        held.removeAll { mail in
            guard let issue = mail.newsletter?.issueId, !answer.issuesSending.contains(issue) else { return false }
            toRelease.append(mail.entry.id)
            return true
        }
    }
}
