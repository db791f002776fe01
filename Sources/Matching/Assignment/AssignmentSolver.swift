/// Solves an `AssignmentProblem` exactly as a min-cost flow:
///
///     source → solver (capacity) → (pitch, role) → pitch (group size) → sink
///
/// with a pair's weight as a negative cost on its solver → (pitch, role) arc, and the role bonus as
/// a negative cost on a first parallel (pitch, role) → pitch arc of capacity `minPerRole`. A free
/// arc from the sink back to the source closes it into a circulation, so that the minimum-cost
/// circulation sends flow exactly where it raises the objective and nowhere else. Parts of the
/// problem that no candidate joins are solved apart, on all cores (`independentParts`).
public enum AssignmentSolver {
    public static func solve(_ problem: AssignmentProblem) -> Assignment {
        solve(problem, priceUpdates: .automatic)
    }

    /// - Parameter partArcs: parts of the problem smaller than this many candidates are solved together.
    static func solve(_ problem: AssignmentProblem, priceUpdates: CostScaling.PriceUpdates, partArcs: Int = 4096) -> Assignment {
        let parts = problem.independentParts(packedTo: partArcs)
        let chosen = parallelMap(parts.count, state: { () }) { index, _ in
            solveAsOne(parts[index].problem, priceUpdates: priceUpdates).map { parts[index].candidates[$0] }
        }.flatMap { $0 }.sorted()
        return Assignment(chosen: chosen, objective: problem.objective(of: chosen) ?? 0)
    }

    /// The chosen candidates of one network for the whole problem.
    private static func solveAsOne(_ problem: AssignmentProblem, priceUpdates: CostScaling.PriceUpdates) -> [Int] {
        let layout = Layout(problem)
        var network = FlowNetwork(layout.builder)
        CostScaling.minimumCostCirculation(&network, priceUpdates: priceUpdates)
        return layout.candidateArcs.indices.filter { index in
            layout.candidateArcs[index].map { network.flow(onAdded: $0, capacity: 1) > 0 } ?? false
        }
    }
}

/// Node numbering and arcs of the network for one problem.
private struct Layout {
    static let source = 0
    static let sink = 1

    var builder: FlowNetwork.Builder
    /// The builder's arc id of each candidate, by candidate index; nil for a pitch that takes nobody.
    var candidateArcs: [Int?] = []

    init(_ problem: AssignmentProblem) {
        let roleCount = (problem.solvers.map(\.role).max() ?? 0) + 1
        var next = 2 + problem.solvers.count
        var roleNode: [Int: Int] = [:]
        var pitchNode: [Int: Int] = [:]
        for candidate in problem.candidates where problem.pitches[candidate.pitch].groupSize > 0 {
            let key = candidate.pitch * roleCount + problem.solvers[candidate.solver].role
            if roleNode[key] == nil {
                roleNode[key] = next
                next += 1
            }
            if pitchNode[candidate.pitch] == nil {
                pitchNode[candidate.pitch] = next
                next += 1
            }
        }
        builder = FlowNetwork.Builder(nodeCount: next)
        for (index, solver) in problem.solvers.enumerated() where solver.capacity > 0 {
            builder.addArc(from: Self.source, to: 2 + index, capacity: solver.capacity, cost: 0)
        }
        candidateArcs = problem.candidates.map { candidate in
            let key = candidate.pitch * roleCount + problem.solvers[candidate.solver].role
            guard let target = roleNode[key] else { return nil }
            return builder.addArc(from: 2 + candidate.solver, to: target, capacity: 1, cost: -Int64(candidate.weight))
        }
        for key in roleNode.keys.sorted() {
            let pitch = key / roleCount
            let role = key % roleCount
            let groupSize = problem.pitches[pitch].groupSize
            let bonusSlots = min(problem.pitches[pitch].minPerRole[role] ?? 0, groupSize)
            if bonusSlots > 0 && problem.roleBonus != 0 {
                builder.addArc(from: roleNode[key]!, to: pitchNode[pitch]!, capacity: bonusSlots, cost: -Int64(problem.roleBonus))
            }
            builder.addArc(from: roleNode[key]!, to: pitchNode[pitch]!, capacity: groupSize, cost: 0)
        }
        for pitch in pitchNode.keys.sorted() {
            builder.addArc(from: pitchNode[pitch]!, to: Self.sink, capacity: problem.pitches[pitch].groupSize, cost: 0)
        }
        // The way back that closes the circulation: flow only goes round where it lowers the cost.
        let seats = problem.solvers.reduce(0) { $0 + $1.capacity }
        builder.addArc(from: Self.sink, to: Self.source, capacity: seats, cost: 0)
    }
}
