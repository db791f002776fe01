/// Solves an `AssignmentProblem` exactly as a min-cost flow:
///
///     source → solver (capacity) → (pitch, role) → pitch (group size) → sink
///
/// with a pair's weight as a negative cost on its solver → (pitch, role) arc, and the role bonus as
/// a negative cost on a first parallel (pitch, role) → pitch arc of capacity `minPerRole`.
/// Successive shortest paths with Dijkstra on reduced costs augments while a path still lowers the
/// cost, so the result maximises the objective without forcing any flow.
public enum AssignmentSolver {
    public static func solve(_ problem: AssignmentProblem) -> Assignment {
        let layout = Layout(problem)
        var network = FlowNetwork(layout.builder)
        var potential = layout.initialPotentials(problem)
        ShortestPaths.augmentWhileImproving(&network, potential: &potential, source: Layout.source, sink: Layout.sink)
        let chosen = layout.candidateArcs.indices.filter { index in
            layout.candidateArcs[index].map { network.flow(onAdded: $0, capacity: 1) > 0 } ?? false
        }
        return Assignment(chosen: chosen, objective: problem.objective(of: chosen) ?? 0)
    }
}

/// Node numbering and arcs of the network for one problem.
private struct Layout {
    static let source = 0
    static let sink = 1

    var builder: FlowNetwork.Builder
    /// The builder's arc id of each candidate, by candidate index; nil for a pitch that takes nobody.
    var candidateArcs: [Int?] = []
    private var roleNode: [Int: Int] = [:]  // key: pitch * roleCount + role
    private var pitchNode: [Int: Int] = [:]
    private let roleCount: Int

    init(_ problem: AssignmentProblem) {
        roleCount = (problem.solvers.map(\.role).max() ?? 0) + 1
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
        self.roleNode = roleNode
        self.pitchNode = pitchNode
    }

    /// Exact shortest distances from the source in the (acyclic) initial network, so that every
    /// reduced cost starts non-negative.
    func initialPotentials(_ problem: AssignmentProblem) -> [Int64] {
        var potential = [Int64](repeating: 0, count: builder.nodeCount)
        var roleDistance: [Int: Int64] = [:]
        for candidate in problem.candidates where problem.solvers[candidate.solver].capacity > 0 {
            let key = candidate.pitch * roleCount + problem.solvers[candidate.solver].role
            guard roleNode[key] != nil else { continue }
            roleDistance[key] = min(roleDistance[key] ?? 0, -Int64(candidate.weight))
        }
        var pitchDistance: [Int: Int64] = [:]
        for (key, node) in roleNode {
            let distance = roleDistance[key] ?? 0
            potential[node] = distance
            let pitch = key / roleCount
            let bonusSlots = min(problem.pitches[pitch].minPerRole[key % roleCount] ?? 0, problem.pitches[pitch].groupSize)
            let through = distance - (bonusSlots > 0 ? Int64(problem.roleBonus) : 0)
            pitchDistance[pitch] = min(pitchDistance[pitch] ?? 0, min(through, distance))
        }
        var sinkDistance: Int64 = 0
        for (pitch, node) in pitchNode {
            potential[node] = pitchDistance[pitch] ?? 0
            sinkDistance = min(sinkDistance, potential[node])
        }
        potential[Self.sink] = sinkDistance
        return potential
    }
}
