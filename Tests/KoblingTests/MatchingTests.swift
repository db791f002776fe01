@testable import Matching
import Testing

/// The assignment is exact: on small random instances it equals the best of every possible choice.
@Suite struct MatchingTests {
    /// SplitMix64: a small seeded generator, so that every run tests the same instances.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomProblem(seed: UInt64) -> AssignmentProblem {
        var random = SeededGenerator(state: seed)
        let pitches = (0..<Int.random(in: 1...3, using: &random)).map { _ in
            AssignmentProblem.Pitch(
                groupSize: Int.random(in: 0...3, using: &random),
                minPerRole: [0: Int.random(in: 0...2, using: &random), 1: Int.random(in: 0...1, using: &random)])
        }
        let solvers = (0..<Int.random(in: 1...5, using: &random)).map { _ in
            AssignmentProblem.Solver(role: Int.random(in: 0...1, using: &random), capacity: Int.random(in: 0...2, using: &random))
        }
        var candidates: [AssignmentProblem.Candidate] = []
        for pitch in pitches.indices {
            for solver in solvers.indices where Bool.random(using: &random) && candidates.count < 12 {
                candidates.append(.init(pitch: pitch, solver: solver, weight: Int.random(in: 0...30, using: &random)))
            }
        }
        return AssignmentProblem(pitches: pitches, solvers: solvers, candidates: candidates, roleBonus: Int.random(in: 0...25, using: &random))
    }

    static func bruteForce(_ problem: AssignmentProblem) -> Int {
        var best = 0
        for mask in 0..<(1 << problem.candidates.count) {
            let chosen = problem.candidates.indices.filter { mask & (1 << $0) != 0 }
            if let value = problem.objective(of: chosen) { best = max(best, value) }
        }
        return best
    }

    @Test func theAssignmentIsOptimalOnSmallRandomInstances() {
        var nonTrivial = 0
        for seed in 1...600 as ClosedRange<UInt64> {
            let problem = Self.randomProblem(seed: seed)
            let assignment = AssignmentSolver.solve(problem)
            let best = Self.bruteForce(problem)
            for updates in [CostScaling.PriceUpdates.always, .never] {
                #expect(AssignmentSolver.solve(problem, priceUpdates: updates).objective == best, "seed \(seed), \(updates)")
            }
            #expect(problem.objective(of: assignment.chosen) == assignment.objective, "seed \(seed): infeasible or misreported")
            #expect(assignment.objective == best, "seed \(seed): \(assignment.objective) instead of \(best)")
            if best > 0 { nonTrivial += 1 }
        }
        #expect(nonTrivial > 400)
    }

    /// Problems that fall apart are solved part by part, on all cores, and the parts' optima make
    /// the optimum of the whole: several small random problems side by side, their pitches and
    /// solvers interleaved, solved a part at a time, packed, and as one network.
    @Test func partsThatNothingJoinsAreSolvedApartAndTheirOptimaAddUp() {
        var shuffler = SeededGenerator(state: 99)
        var split = 0
        for seed in 1...60 as ClosedRange<UInt64> {
            let pieces = (0..<5).map { Self.randomProblem(seed: seed * 10 + UInt64($0)) }
            var whole = AssignmentProblem(pitches: [], solvers: [], candidates: [], roleBonus: 0)
            var best = 0
            // Pitch p of piece k becomes pitch 5p + k, and solver s 5s + k.
            let pitchCount = 5 * (pieces.map(\.pitches.count).max() ?? 0)
            let solverCount = 5 * (pieces.map(\.solvers.count).max() ?? 0)
            whole.pitches = Array(repeating: .init(groupSize: 0), count: pitchCount)
            whole.solvers = Array(repeating: .init(role: 0, capacity: 0), count: solverCount)
            for (k, piece) in pieces.enumerated() {
                // One role bonus for the whole: the pieces take it from the first.
                var piece = piece
                piece.roleBonus = pieces[0].roleBonus
                best += Self.bruteForce(piece)
                for (p, pitch) in piece.pitches.enumerated() { whole.pitches[5 * p + k] = pitch }
                for (s, solver) in piece.solvers.enumerated() { whole.solvers[5 * s + k] = solver }
                whole.candidates += piece.candidates.map { .init(pitch: 5 * $0.pitch + k, solver: 5 * $0.solver + k, weight: $0.weight) }
            }
            whole.roleBonus = pieces[0].roleBonus
            whole.candidates.shuffle(using: &shuffler)
            // Apart, no pitch or solver is in two parts, and every candidate that can be chosen is in one.
            let parts = whole.independentParts(packedTo: 1)
            var owner: [String: Int] = [:]
            for (number, part) in parts.enumerated() {
                for index in part.candidates {
                    for node in ["p\(whole.candidates[index].pitch)", "s\(whole.candidates[index].solver)"] {
                        #expect(owner.updateValue(number, forKey: node) ?? number == number, "seed \(seed): \(node) in two parts")
                    }
                }
            }
            let usable = whole.candidates.indices.filter {
                whole.pitches[whole.candidates[$0].pitch].groupSize > 0 && whole.solvers[whole.candidates[$0].solver].capacity > 0
            }
            #expect(parts.flatMap(\.candidates).sorted() == usable)
            if parts.count > 1 { split += 1 }
            for arcs in [1, 8, Int.max] {
                let assignment = AssignmentSolver.solve(whole, priceUpdates: .automatic, partArcs: arcs)
                #expect(assignment.objective == best, "seed \(seed), parts of \(arcs)")
                #expect(whole.objective(of: assignment.chosen) == assignment.objective)
            }
        }
        #expect(split > 40)
    }

    @Test func theRoleBonusCanOutweighAHeavierPair() {
        // One seat; a heavier startup person or a lighter researcher the pitch asks for.
        let problem = AssignmentProblem(
            pitches: [.init(groupSize: 1, minPerRole: [1: 1])],
            solvers: [.init(role: 0, capacity: 1), .init(role: 1, capacity: 1)],
            candidates: [.init(pitch: 0, solver: 0, weight: 900), .init(pitch: 0, solver: 1, weight: 100)],
            roleBonus: 2000)
        #expect(AssignmentSolver.solve(problem) == Assignment(chosen: [1], objective: 2100))
    }

    @Test func capacitiesAndGroupSizesBind() {
        // Two pitches want the same star; she has room for one, so the other takes the runner-up.
        let problem = AssignmentProblem(
            pitches: [.init(groupSize: 1), .init(groupSize: 1)],
            solvers: [.init(role: 0, capacity: 1), .init(role: 0, capacity: 1)],
            candidates: [.init(pitch: 0, solver: 0, weight: 10), .init(pitch: 1, solver: 0, weight: 9), .init(pitch: 1, solver: 1, weight: 1)],
            roleBonus: 0)
        #expect(AssignmentSolver.solve(problem) == Assignment(chosen: [0, 2], objective: 11))
    }

    @Test func priceUpdatesKeepTheOptimumOnLargerInstances() {
        // Too large for brute force; with and without price updates the optimum must agree.
        for seed in 1...20 as ClosedRange<UInt64> {
            var random = SeededGenerator(state: seed)
            let pitches = (0..<40).map { _ in
                AssignmentProblem.Pitch(groupSize: Int.random(in: 1...4, using: &random), minPerRole: [0: 1, 1: Int.random(in: 0...2, using: &random)])
            }
            let solvers = (0..<300).map { _ in
                AssignmentProblem.Solver(role: Int.random(in: 0...2, using: &random), capacity: Int.random(in: 0...2, using: &random))
            }
            let candidates = (0..<2000).map { _ in
                AssignmentProblem.Candidate(
                    pitch: Int.random(in: 0..<40, using: &random), solver: Int.random(in: 0..<300, using: &random),
                    weight: Int.random(in: 0...1000, using: &random) * 100_003 + Int.random(in: 0...3, using: &random))
            }
            let problem = AssignmentProblem(pitches: pitches, solvers: solvers, candidates: candidates, roleBonus: 300 * 100_003)
            let with = AssignmentSolver.solve(problem, priceUpdates: .always)
            let without = AssignmentSolver.solve(problem, priceUpdates: .never)
            #expect(with.objective == without.objective, "seed \(seed)")
            #expect(problem.objective(of: with.chosen) == with.objective)
            #expect(with.objective > 0)
        }
    }
}
