import Foundation

/// The shared benchmark instance format (`shared/bench/README.md`): pitches, solvers and weighted
/// candidate pairs, by id.
public struct BenchInstance: Decodable, Sendable {
    public struct Pitch: Decodable, Sendable {
        public var id: String
        public var groupSize: Int
        public var minPerRole: [String: Int]
    }

    public struct Solver: Decodable, Sendable {
        public var id: String
        public var role: String
        public var capacity: Int
    }

    public struct Edge: Decodable, Sendable {
        public var pitch: String
        public var solver: String
        public var weight: Int

        public init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            pitch = try container.decode(String.self)
            solver = try container.decode(String.self)
            weight = try container.decode(Int.self)
        }
    }

    public var roleBonus: Int
    public var pitches: [Pitch]
    public var solvers: [Solver]
    public var edges: [Edge]

    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The problem by index, checking that every edge names a known pitch and solver.
    public func problem() throws -> AssignmentProblem {
        let roles = Array(Set(solvers.map(\.role))).sorted()
        let roleIndex = Dictionary(uniqueKeysWithValues: roles.enumerated().map { ($1, $0) })
        let pitchIndex = try index(pitches.map(\.id), kind: "pitch")
        let solverIndex = try index(solvers.map(\.id), kind: "solver")
        let candidates = try edges.map { edge -> AssignmentProblem.Candidate in
            guard let pitch = pitchIndex[edge.pitch] else { throw FormatError(description: "An edge names an unknown pitch \(edge.pitch).") }
            guard let solver = solverIndex[edge.solver] else { throw FormatError(description: "An edge names an unknown solver \(edge.solver).") }
            return .init(pitch: pitch, solver: solver, weight: edge.weight)
        }
        return AssignmentProblem(
            pitches: pitches.map { pitch in
                .init(groupSize: max(0, pitch.groupSize), minPerRole: Dictionary(
                    uniqueKeysWithValues: pitch.minPerRole.compactMap { role, count in roleIndex[role].map { ($0, count) } }))
            },
            solvers: solvers.map { .init(role: roleIndex[$0.role]!, capacity: max(0, $0.capacity)) },
            candidates: candidates, roleBonus: roleBonus)
    }

    private func index(_ ids: [String], kind: String) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for (position, id) in ids.enumerated() {
            guard result.updateValue(position, forKey: id) == nil else { throw FormatError(description: "The \(kind) id \(id) appears twice.") }
        }
        return result
    }
}

/// The shared solution format: the objective, the chosen (pitch, solver) pairs, and the solver's
/// own time.
public struct BenchSolution: Encodable, Sendable {
    public var objective: Int
    public var assignments: [[String]]
    public var solveSeconds: Double

    public init(instance: BenchInstance, assignment: Assignment, solveSeconds: Double) {
        objective = assignment.objective
        assignments = assignment.chosen.map { [instance.edges[$0].pitch, instance.edges[$0].solver] }
        self.solveSeconds = solveSeconds
    }
}
