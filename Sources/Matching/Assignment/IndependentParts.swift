/// An assignment problem cut where nothing joins it: pitches and solvers that no chain of
/// candidates links can be solved apart, and the optimum of the whole is the parts' optima
/// together. A national round falls apart by topic, and its parts are solved on all cores, each
/// network a small fraction of the whole.
extension AssignmentProblem {
    /// One part: a problem of its own, and for each of its candidates the index of that candidate
    /// in the whole.
    struct Part {
        var problem: AssignmentProblem
        var candidates: [Int]
    }

    /// The parts, largest first, with parts smaller than `arcs` candidates packed together until
    /// they reach it (a network costs something to set up however small). Candidates that can
    /// never be chosen (a pitch that takes nobody, a solver with no capacity) are left out.
    func independentParts(packedTo arcs: Int) -> [Part] {
        var parent = Array(0..<(pitches.count + solvers.count))
        func root(_ node: Int) -> Int {
            var node = node
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }
        let usable = candidates.indices.filter {
            pitches[candidates[$0].pitch].groupSize > 0 && solvers[candidates[$0].solver].capacity > 0
        }
        for index in usable {
            let a = root(candidates[index].pitch)
            let b = root(pitches.count + candidates[index].solver)
            if a != b { parent[max(a, b)] = min(a, b) }
        }
        var componentOf: [Int: Int] = [:]
        var components: [[Int]] = []
        for index in usable {
            let key = root(candidates[index].pitch)
            if let known = componentOf[key] {
                components[known].append(index)
            } else {
                componentOf[key] = components.count
                components.append([index])
            }
        }
        // Largest first (ties by their first candidate): a worker that takes every other part
        // then gets about half of the work.
        components.sort { $0.count != $1.count ? $0.count > $1.count : $0[0] < $1[0] }
        var bins: [[Int]] = []
        for component in components {
            if let last = bins.last, last.count < arcs {
                bins[bins.count - 1] += component
            } else {
                bins.append(component)
            }
        }
        return bins.map { part($0.sorted()) }
    }

    /// The problem of the given candidates alone, its pitches and solvers numbered anew.
    private func part(_ indices: [Int]) -> Part {
        var pitchNumber: [Int: Int] = [:]
        var solverNumber: [Int: Int] = [:]
        var partPitches: [Pitch] = []
        var partSolvers: [Solver] = []
        var partCandidates: [Candidate] = []
        partCandidates.reserveCapacity(indices.count)
        for index in indices {
            let candidate = candidates[index]
            let pitch = pitchNumber[candidate.pitch] ?? {
                partPitches.append(pitches[candidate.pitch])
                pitchNumber[candidate.pitch] = partPitches.count - 1
                return partPitches.count - 1
            }()
            let solver = solverNumber[candidate.solver] ?? {
                partSolvers.append(solvers[candidate.solver])
                solverNumber[candidate.solver] = partSolvers.count - 1
                return partSolvers.count - 1
            }()
            partCandidates.append(Candidate(pitch: pitch, solver: solver, weight: candidate.weight))
        }
        return Part(
            problem: AssignmentProblem(pitches: partPitches, solvers: partSolvers, candidates: partCandidates, roleBonus: roleBonus),
            candidates: indices)
    }
}
