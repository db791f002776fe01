import Foundation
import KoblingCore
import Storage

/// The one writer of delivery state while the worker sends: the sender hands it outcomes and asks
/// it for rows, and go on sending while it writes. Requests are gathered for up to `window`
/// (or until `batchLimit` of them, or until the sender waits for an answer) and written in one
/// transaction, so a send of thousands costs a few hundred transactions. The sender does not wait for
/// outcomes to be written: what makes a taken message safe from a crash is the delivery journal
/// (`AppDatabase.recordTaken`), written by the sender itself.
///
/// The rows the sender claims are leases (`LeaseTerms`): the ledger renews them with a batch when
/// the renewal is due, and by itself when no batch comes for that long (the sender waits on a
/// slow server), and hands back the rows of others whose claims lapsed.
final class OutboxLedger: @unchecked Sendable {
    /// The answer to one request, once it is written.
    final class Ticket: @unchecked Sendable {
        private let ledger: OutboxLedger
        let claim: Int
        // Guarded by the ledger's condition.
        fileprivate var answer: Result<Answer, any Error>?

        fileprivate init(_ ledger: OutboxLedger, claim: Int) {
            self.ledger = ledger
            self.claim = claim
        }

        /// Whether the answer is in, so that `wait` returns at once.
        var isAnswered: Bool {
            ledger.condition.lock()
            defer { ledger.condition.unlock() }
            return answer != nil
        }

        /// Waits until the request is written; answers the rows it claimed.
        func wait() throws -> Answer {
            ledger.condition.lock()
            ledger.sendersWaiting += 1
            ledger.condition.broadcast()
            while answer == nil { ledger.condition.wait() }
            ledger.sendersWaiting -= 1
            let answer = self.answer!
            ledger.condition.unlock()
            return try answer.get()
        }
    }

    struct Answer {
        var claimed: [ClaimedMail]
        /// The newsletter issues still being sent when it was written.
        var issuesSending: Set<String>
    }

    static let window = 0.002
    static let batchLimit = 64

    /// Writes a batch; the flag asks for the claims to be renewed with it.
    typealias Commit = (_ requests: [AppDatabase.SendRequest], _ renew: Bool) throws -> AppDatabase.SendAnswers

    private let commit: Commit
    private let terms: LeaseTerms
    /// The clock the leases are written with.
    private let now: () -> Date
    private var renewedAt: Date
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var waiting: [(AppDatabase.SendRequest, Ticket)] = []
    private var sendersWaiting = 0
    private var closed = false

    init(terms: LeaseTerms = .standard, now: @escaping () -> Date = Date.init, commit: @escaping Commit) {
        self.commit = commit
        self.terms = terms
        self.now = now
        renewedAt = now()
    }

    /// Whether this batch renews the claims, and if so, from when the next renewal counts.
    private func renewalDue() -> Bool {
        let now = self.now()
        guard terms.isDue(renewedAt: renewedAt, now: now) else { return false }
        renewedAt = now
        return true
    }

    /// Hands in a request; it is written soon, with whatever else arrives by then.
    func submit(_ request: AppDatabase.SendRequest) -> Ticket {
        let ticket = Ticket(self, claim: request.claim)
        condition.lock()
        waiting.append((request, ticket))
        if waiting.count == 1 || waiting.count >= Self.batchLimit { condition.broadcast() }
        condition.unlock()
        return ticket
    }

    /// Writes requests as they come until `close` and the last of them is written. Runs on a
    /// thread of its own.
    func run() {
        condition.lock()
        while true {
            while waiting.isEmpty && !closed {
                if !condition.wait(until: Date(timeIntervalSinceNow: terms.renewal)) && waiting.isEmpty && !closed && renewalDue() {
                    // No batch for a renewal's time: the claims are renewed on their own.
                    condition.unlock()
                    _ = try? commit([], true)
                    condition.lock()
                }
            }
            if waiting.isEmpty { break }
            let deadline = Date(timeIntervalSinceNow: Self.window)
            while !closed && sendersWaiting == 0 && waiting.count < Self.batchLimit {
                if !condition.wait(until: deadline) { break }
            }
            let batch = waiting
            waiting = []
            condition.unlock()
            let renew = renewalDue()
            let answers = Result { try commit(batch.map(\.0), renew) }
            condition.lock()
            for (index, (_, ticket)) in batch.enumerated() {
                ticket.answer = answers.map { Answer(claimed: $0.claimed[index], issuesSending: $0.issuesSending) }
            }
            condition.broadcast()
        }
        condition.unlock()
    }

    /// No more requests come: `run` returns once those waiting are written.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
