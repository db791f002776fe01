import Foundation
import KoblingCore
import Matching
import Storage

extension SessionSchedule {
    /// Plans a session for a round's groups with the scheduler: groups with nobody left to meet
    /// their author are left out first, then every group the slots and tables cannot hold, each
    /// with its reason. `names` gives each person's name (an id stands in for one missing); `work`
    /// bounds the exact search (see `SessionScheduler.plan`).
    public static func plan(
        roundId: String, runId: String, request: SessionRequest, groups: [Group], names: [String: String], now: String,
        work: Int = 100_000_000
    ) -> SessionSchedule {
        func people(_ ids: [String]) -> [Person] { ids.map { Person(personId: $0, name: names[$0] ?? $0) } }
        var unplaced: [Unplaced] = []
        let meeting = groups.filter { group in
            guard group.people.count < 2 else { return true }
            unplaced.append(Unplaced(
                pitchId: group.pitchId, pitchTitle: group.pitchTitle, people: people(group.people),
                reason: "Nobody proposed to the pitch is still taking part: each said no thanks or let the deadline pass."))
            return false
        }
        let problem = SessionProblem(groups: meeting.map(\.people), slots: request.slots.count, tables: request.tables)
        let result = SessionScheduler.plan(problem, work: work)
        var slots = request.slots.map { Slot(start: $0.start, end: $0.end, meetings: []) }
        for (index, group) in meeting.enumerated() {
            if let slot = result.slot[index], let table = result.table[index] {
                slots[slot].meetings.append(Meeting(table: table + 1, pitchId: group.pitchId, pitchTitle: group.pitchTitle, people: people(group.people)))
            } else {
                let blockers = SessionScheduler.blockers(of: index, in: result, problem)
                unplaced.append(Unplaced(
                    pitchId: group.pitchId, pitchTitle: group.pitchTitle, people: people(group.people),
                    reason: reason(blockers, slots: request.slots, tables: request.tables, names: names)))
            }
        }
        for index in slots.indices { slots[index].meetings.sort { $0.table < $1.table } }
        return SessionSchedule(
            roundId: roundId, runId: runId, tables: request.tables, slots: slots, unplaced: unplaced,
            slotsUsed: result.slotsUsed, optimal: result.proven, createdAt: now)
    }

    /// Why a group found no slot, slot by slot ("at 09:00 Ana Holm is in another group").
    static func reason(_ blockers: [SlotBlocker], slots: [SessionRequest.Slot], tables: Int, names: [String: String]) -> String {
        let parts = zip(slots, blockers).compactMap { slot, blocker -> String? in
            switch blocker {
            case .full:
                return "at \(slot.start) all \(tables) \(tables == 1 ? "table is" : "tables are") taken"
            case .busy(let people) where people.isEmpty:
                return nil
            case .busy(let people):
                let list = people.map { names[$0] ?? $0 }.joined(separator: ", ")
                return "at \(slot.start) \(list) \(people.count == 1 ? "is" : "are") in another group"
            }
        }
        return "No slot is free for the whole group: " + parts.joined(separator: "; ") + "."
    }
}

/// Plans a round's session and keeps it: the groups read, the search run on a thread of its own
/// (it may take a second on a large session, which no cooperative thread may spend), the plan
/// written in place of the one before.
public enum SessionPlanner {
    public static func plan(_ request: SessionRequest, roundId: String, database: AppDatabase, now: String) async throws -> SessionSchedule {
        let input = try await database.sessionInput(roundId: roundId)
        let schedule = await Thread.run(name: "kobling.session") {
            SessionSchedule.plan(roundId: roundId, runId: input.runId, request: request, groups: input.groups, names: input.names, now: now)
        }
        try await database.saveSchedule(schedule)
        return schedule
    }
}
