import Foundation
import KoblingCore
@testable import Matching
import Testing

/// A matchmaking session's plan is exact on small sessions (it equals the best of every possible
/// placement) and never worse than the greedy colouring on large ones.
@Suite struct SessionSchedulerTests {
    typealias Random = MatchingTests.SeededGenerator

    static func randomProblem(seed: UInt64, groups: ClosedRange<Int>, people: Int, slots: ClosedRange<Int>, tables: ClosedRange<Int>) -> SessionProblem {
        var random = Random(state: seed)
        let list = (0..<Int.random(in: groups, using: &random)).map { _ in
            (0..<Int.random(in: 1...3, using: &random)).map { _ in "p\(Int.random(in: 0..<people, using: &random))" }
        }
        return SessionProblem(groups: list, slots: Int.random(in: slots, using: &random), tables: Int.random(in: tables, using: &random))
    }

    /// Whether `plan` keeps every rule: a slot and a table that exist, at most one group at a
    /// table, nobody twice in one slot.
    static func isValid(_ plan: SessionPlan, _ problem: SessionProblem) -> Bool {
        var seats = Set<[Int]>()
        var busy = Set<[String]>()
        for (group, people) in problem.groups.enumerated() {
            guard let slot = plan.slot[group] else {
                if plan.table[group] != nil { return false }
                continue
            }
            guard let table = plan.table[group], (0..<problem.slots).contains(slot), (0..<problem.tables).contains(table),
                  seats.insert([slot, table]).inserted else { return false }
            for person in Set(people) where !busy.insert([String(slot), person]).inserted { return false }
        }
        return true
    }

    /// The best (groups left out, slots used) over every placement.
    static func bruteForce(_ problem: SessionProblem) -> (left: Int, used: Int) {
        var best = (left: Int.max, used: Int.max)
        var choice = [Int](repeating: -1, count: problem.groups.count)
        func walk(_ group: Int) {
            if group == choice.count {
                let left = choice.count { $0 < 0 }
                let used = Set(choice.filter { $0 >= 0 }).count
                if left < best.left || (left == best.left && used < best.used) { best = (left, used) }
                return
            }
            for slot in -1..<problem.slots {
                if slot >= 0 {
                    let there = (0..<group).filter { choice[$0] == slot }
                    if there.count >= problem.tables { continue }
                    if there.contains(where: { !Set(problem.groups[$0]).isDisjoint(with: problem.groups[group]) }) { continue }
                }
                choice[group] = slot
                walk(group + 1)
            }
            choice[group] = -1
        }
        walk(0)
        return best
    }

    /// One session planned, and what its checks found.
    struct Outcome: Sendable {
        var seed: UInt64
        var valid: Bool
        var left: Int, bestLeft: Int
        var used: Int, bestUsed: Int
        var proven: Bool
        var beatGreedy: Bool
    }

    /// The searches run on a thread of their own, not on the cooperative pool, which the suites
    /// that serve HTTP share with these.
    @Test func thePlanIsOptimalOnSmallRandomSessions() async {
        let outcomes = await Thread.run(name: "test.sessions") {
            (1...400 as ClosedRange<UInt64>).map { seed in
                let problem = Self.randomProblem(seed: seed, groups: 1...7, people: 6, slots: 1...4, tables: 1...3)
                let plan = SessionScheduler.plan(problem)
                let best = Self.bruteForce(problem)
                let greedy = SessionScheduler.greedy(problem)
                return Outcome(
                    seed: seed, valid: Self.isValid(plan, problem), left: plan.slot.count - plan.placed, bestLeft: best.left,
                    used: plan.slotsUsed, bestUsed: best.used, proven: plan.proven,
                    beatGreedy: greedy.placed < plan.placed || (greedy.placed == plan.placed && greedy.slotsUsed > plan.slotsUsed))
            }
        }
        for outcome in outcomes {
            let seed = outcome.seed
            #expect(outcome.valid, "seed \(seed): the plan breaks a rule")
            #expect(outcome.left == outcome.bestLeft, "seed \(seed): \(outcome.left) left out instead of \(outcome.bestLeft)")
            #expect(outcome.used == outcome.bestUsed, "seed \(seed): \(outcome.used) slots instead of \(outcome.bestUsed)")
            #expect(outcome.proven, "seed \(seed): the search did not finish")
        }
        // The instances are not all easy: some leave groups out, and on some greedy is not optimal.
        #expect(outcomes.count { $0.bestLeft > 0 } > 40)
        #expect(outcomes.contains { $0.beatGreedy })
    }

    @Test func onLargeSessionsThePlanIsNeverWorseThanGreedy() async {
        let outcomes = await Thread.run(name: "test.sessions") {
            (1...5 as ClosedRange<UInt64>).map { seed in
                let problem = Self.randomProblem(seed: seed, groups: 300...400, people: 700, slots: 6...12, tables: 30...60)
                let plan = SessionScheduler.plan(problem, work: 20_000_000)
                let greedy = SessionScheduler.greedy(problem)
                return (seed: seed, valid: Self.isValid(plan, problem) && Self.isValid(greedy, problem),
                        placed: (plan.placed, greedy.placed), used: (plan.slotsUsed, greedy.slotsUsed))
            }
        }
        for outcome in outcomes {
            #expect(outcome.valid, "seed \(outcome.seed)")
            #expect(outcome.placed.0 >= outcome.placed.1, "seed \(outcome.seed)")
            if outcome.placed.0 == outcome.placed.1 { #expect(outcome.used.0 <= outcome.used.1, "seed \(outcome.seed)") }
        }
    }

    @Test func aGroupLeftOutNamesWhoIsBusyInEachSlot() throws {
        // Ana is in three groups and the session has two slots.
        let problem = SessionProblem(groups: [["ana", "bo"], ["ana", "cy"], ["ana", "di"], ["eva"]], slots: 2, tables: 2)
        let plan = SessionScheduler.plan(problem)
        #expect(plan.placed == 3 && plan.slotsUsed == 2 && plan.proven)
        let out = try #require(plan.slot.firstIndex(of: nil))
        let blockers = SessionScheduler.blockers(of: out, in: plan, problem)
        #expect(blockers == [.busy(people: ["ana"]), .busy(people: ["ana"])])
        // With one table a slot, a slot is full before anyone is busy.
        let crowded = SessionProblem(groups: [["a"], ["b"], ["c"]], slots: 2, tables: 1)
        let crowdedPlan = SessionScheduler.plan(crowded)
        let left = try #require(crowdedPlan.slot.firstIndex(of: nil))
        #expect(SessionScheduler.blockers(of: left, in: crowdedPlan, crowded) == [.full, .full])
    }
}
