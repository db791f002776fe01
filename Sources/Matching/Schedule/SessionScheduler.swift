/// Groups of a matchmaking session placed into time slots and at tables: no person sits in two
/// groups of one slot, a slot holds at most as many groups as there are tables, as many groups as
/// possible are placed, and, among such plans, one with the fewest slots.
///
/// Groups that share a person conflict, so a plan is a colouring of the conflict graph with at
/// most `tables` groups a colour. `plan` starts from the DSatur greedy colouring and improves it
/// by branch and bound (DSatur order, colours taken in order so that no two branches differ only
/// by the slots' names); when the search ends within its node limit the plan is proven optimal.
/// On large sessions that stop early it is still never worse than the greedy colouring.
public struct SessionProblem: Sendable, Equatable {
    /// Each group's people.
    public var groups: [[String]]
    /// How many slots the session has, and how many tables each.
    public var slots: Int
    public var tables: Int

    public init(groups: [[String]], slots: Int, tables: Int) {
        self.groups = groups
        self.slots = slots
        self.tables = tables
    }
}

public struct SessionPlan: Sendable, Equatable {
    /// Each group's slot (0 is the first) and table (0 is the first) in it; nil when not placed.
    public var slot: [Int?]
    public var table: [Int?]
    /// Whether no plan places more groups, or as many in fewer slots.
    public var proven: Bool

    public var placed: Int { slot.count { $0 != nil } }
    public var slotsUsed: Int { (slot.compactMap { $0 }.max() ?? -1) + 1 }
}

/// Why a group was left out: in each slot, either every table is taken or some of its people
/// meet in another group there.
public enum SlotBlocker: Sendable, Equatable {
    case full
    case busy(people: [String])
}

public enum SessionScheduler {
    /// The best plan found within `work` steps (search nodes times groups, since each node
    /// looks at every group once), never worse than `greedy`.
    public static func plan(_ problem: SessionProblem, work: Int = 100_000_000) -> SessionPlan {
        let graph = ConflictGraph(problem)
        let nodeLimit = max(1_000, work / max(graph.count, 1))
        var search = Search(graph: graph, slots: problem.slots, tables: problem.tables, nodeLimit: nodeLimit)
        let start = search.greedy()
        search.best = start.slot
        search.bestLeft = start.slot.count { $0 == nil }
        search.bestUsed = start.slotsUsed
        if !search.isAtLowerBound { search.run() }
        let proven = search.isAtLowerBound || !search.cutOff
        return SessionPlan(slot: search.best, table: tables(search.best, slots: problem.slots), proven: proven)
    }

    /// DSatur: the group with the most distinct slots among its conflicts goes first (then the
    /// one with most conflicts), into the earliest slot with a free table and none of its people.
    public static func greedy(_ problem: SessionProblem) -> SessionPlan {
        let search = Search(graph: ConflictGraph(problem), slots: problem.slots, tables: problem.tables, nodeLimit: 0)
        let plan = search.greedy()
        return SessionPlan(slot: plan.slot, table: tables(plan.slot, slots: problem.slots), proven: search.isAtLowerBound(plan))
    }

    /// For a group left out of `plan`: what stands in its way in each slot.
    public static func blockers(of group: Int, in plan: SessionPlan, _ problem: SessionProblem) -> [SlotBlocker] {
        let people = Set(problem.groups[group])
        return (0..<problem.slots).map { slot in
            let there = plan.slot.indices.filter { plan.slot[$0] == slot && $0 != group }
            let busy = Set(there.flatMap { problem.groups[$0] }).intersection(people)
            if !busy.isEmpty { return .busy(people: busy.sorted()) }
            return there.count >= problem.tables ? .full : .busy(people: [])
        }
    }

    /// Tables numbered in each slot in the groups' order.
    static func tables(_ slots: [Int?], slots count: Int) -> [Int?] {
        var next = [Int](repeating: 0, count: max(count, 0))
        return slots.map { slot in
            guard let slot else { return nil }
            defer { next[slot] += 1 }
            return next[slot]
        }
    }
}

/// Which groups share a person.
struct ConflictGraph {
    var neighbours: [[Int]]
    /// The most groups one person is in: that many slots at least.
    var largestClique: Int

    init(_ problem: SessionProblem) {
        var byPerson: [String: [Int]] = [:]
        for (index, people) in problem.groups.enumerated() {
            for person in Set(people) { byPerson[person, default: []].append(index) }
        }
        var sets = [Set<Int>](repeating: [], count: problem.groups.count)
        for groups in byPerson.values where groups.count > 1 {
            for a in groups { for b in groups where a != b { sets[a].insert(b) } }
        }
        neighbours = sets.map { $0.sorted() }
        largestClique = byPerson.values.map(\.count).max() ?? 0
    }

    var count: Int { neighbours.count }
}

/// The branch and bound over slots, with the counts DSatur chooses by kept up to date.
private struct Search {
    let graph: ConflictGraph
    let slots: Int
    let tables: Int
    let nodeLimit: Int
    /// Each group's slot; -1 undecided, -2 left out.
    var slot: [Int]
    /// For each group and slot, how many of its conflicts sit there.
    var conflictsIn: [[Int]]
    /// For each group, in how many distinct slots its conflicts sit.
    var saturation: [Int]
    var groupsIn: [Int]
    var used = 0
    var left = 0
    var nodes = 0
    var cutOff = false

    var best: [Int?] = []
    var bestLeft = Int.max
    var bestUsed = Int.max

    init(graph: ConflictGraph, slots: Int, tables: Int, nodeLimit: Int) {
        self.graph = graph
        self.slots = max(slots, 0)
        self.tables = max(tables, 0)
        self.nodeLimit = nodeLimit
        slot = Array(repeating: -1, count: graph.count)
        conflictsIn = Array(repeating: Array(repeating: 0, count: max(slots, 0)), count: graph.count)
        saturation = Array(repeating: 0, count: graph.count)
        groupsIn = Array(repeating: 0, count: max(slots, 0))
    }

    /// The fewest slots a plan of every group needs: the largest group of groups that share a
    /// person, and enough slots for every group at a table.
    var lowerBound: Int {
        guard tables > 0 else { return 0 }
        return max(graph.largestClique, (graph.count + tables - 1) / tables)
    }

    var isAtLowerBound: Bool { bestLeft == 0 && bestUsed <= lowerBound }

    func isAtLowerBound(_ plan: SessionPlan) -> Bool { plan.placed == plan.slot.count && plan.slotsUsed <= lowerBound }

    /// The greedy plan, from a copy of the search, which stays as it is.
    func greedy() -> SessionPlan {
        var copy = self
        while let group = copy.next() {
            let free = (0..<slots).first { copy.fits(group, $0) }
            if let free { copy.place(group, in: free) } else { copy.leaveOut(group) }
        }
        return SessionPlan(slot: copy.slot.map { $0 >= 0 ? $0 : nil }, table: [], proven: false)
    }

    mutating func run() {
        guard nodes < nodeLimit else { cutOff = true; return }
        nodes += 1
        if left > bestLeft || (left == bestLeft && used >= bestUsed) { return }
        guard let group = next() else {
            best = slot.map { $0 >= 0 ? $0 : nil }
            bestLeft = left
            bestUsed = used
            return
        }
        for candidate in 0..<min(used + 1, slots) where fits(group, candidate) {
            if candidate == used && !(left < bestLeft || used + 1 < bestUsed) { continue }
            place(group, in: candidate)
            run()
            undo(group)
            if cutOff || isAtLowerBound { return }
        }
        if left + 1 < bestLeft || (left + 1 == bestLeft && used < bestUsed) {
            leaveOut(group)
            run()
            undo(group)
        }
    }

    /// The undecided group DSatur takes next.
    func next() -> Int? {
        var chosen: Int?
        var key = (-1, -1)
        for group in slot.indices where slot[group] == -1 {
            let degree = graph.neighbours[group].count
            if saturation[group] > key.0 || (saturation[group] == key.0 && degree > key.1) {
                chosen = group
                key = (saturation[group], degree)
            }
        }
        return chosen
    }

    func fits(_ group: Int, _ candidate: Int) -> Bool {
        groupsIn[candidate] < tables && conflictsIn[group][candidate] == 0
    }

    mutating func place(_ group: Int, in candidate: Int) {
        slot[group] = candidate
        groupsIn[candidate] += 1
        used = max(used, candidate + 1)
        for other in graph.neighbours[group] {
            if conflictsIn[other][candidate] == 0 { saturation[other] += 1 }
            conflictsIn[other][candidate] += 1
        }
    }

    mutating func leaveOut(_ group: Int) {
        slot[group] = -2
        left += 1
    }

    mutating func undo(_ group: Int) {
        let was = slot[group]
        slot[group] = -1
        guard was >= 0 else { left -= 1; return }
        groupsIn[was] -= 1
        for other in graph.neighbours[group] {
            conflictsIn[other][was] -= 1
            if conflictsIn[other][was] == 0 { saturation[other] -= 1 }
        }
        // Slots are taken in order, so the highest in use is the one that can fall empty.
        while used > 0 && groupsIn[used - 1] == 0 { used -= 1 }
    }
}
