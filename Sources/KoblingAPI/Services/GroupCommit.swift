import Foundation
import Storage

/// Lets the worker's lanes share transactions. A lane hands in its request and waits; the first
/// lane to find no transaction under way leads: it takes every request waiting, runs them in one
/// transaction and wakes the others with their answers. A newsletter send makes one request a
/// message, so this saves most commits when lanes finish together, while every lane still has its
/// outcome recorded before it starts its next SMTP transaction.
final class GroupCommit: @unchecked Sendable {
    private final class Ticket {
        let request: AppDatabase.LaneRequest
        var answer: Result<ClaimedMail?, any Error>?
        init(_ request: AppDatabase.LaneRequest) { self.request = request }
    }

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var waiting: [Ticket] = []
    private var leading = false

    /// Runs `request` together with those of other lanes waiting now; `commit` runs a batch.
    func submit(
        _ request: AppDatabase.LaneRequest, commit: ([AppDatabase.LaneRequest]) throws -> [ClaimedMail?]
    ) throws -> ClaimedMail? {
        let ticket = Ticket(request)
        condition.lock()
        waiting.append(ticket)
        while ticket.answer == nil {
            if leading {
                condition.wait()
                continue
            }
            leading = true
            let batch = waiting
            waiting = []
            condition.unlock()
            let answers = Result { try commit(batch.map(\.request)) }
            condition.lock()
            for (index, member) in batch.enumerated() { member.answer = answers.map { $0[index] } }
            leading = false
            condition.broadcast()
        }
        condition.unlock()
        return try ticket.answer!.get()
    }
}
