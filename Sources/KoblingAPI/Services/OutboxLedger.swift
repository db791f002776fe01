import Foundation
import Storage

/// The one writer of delivery state while the worker sends: the sender hands it outcomes and asks
/// it for rows, and go on sending while it writes. Requests are gathered for up to `window`
/// (or until `batchLimit` of them, or until the sender waits for an answer) and written in one
/// transaction, so a send of thousands costs a few hundred transactions. The sender does not wait for
/// outcomes to be written: what makes a taken message safe from a crash is the delivery journal
/// (`AppDatabase.recordTaken`), written by the sender itself.
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

    private let commit: ([AppDatabase.SendRequest]) throws -> AppDatabase.SendAnswers
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var waiting: [(AppDatabase.SendRequest, Ticket)] = []
    private var sendersWaiting = 0
    private var closed = false

    init(commit: @escaping ([AppDatabase.SendRequest]) throws -> AppDatabase.SendAnswers) {
        self.commit = commit
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
            while waiting.isEmpty && !closed { condition.wait() }
            if waiting.isEmpty { break }
            let deadline = Date(timeIntervalSinceNow: Self.window)
            while !closed && sendersWaiting == 0 && waiting.count < Self.batchLimit {
                if !condition.wait(until: deadline) { break }
            }
            let batch = waiting
            waiting = []
            condition.unlock()
            let answers = Result { try commit(batch.map(\.0)) }
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
