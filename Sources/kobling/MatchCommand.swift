import ArgumentParser
import Foundation
import Matching

struct Match: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The matching engine on its own.", subcommands: [Solve.self])

    struct Solve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Solve a matching instance in the shared benchmark format and write the solution format.")
        @Argument(help: "The instance (JSON).") var instance: String
        @Option(help: "Where to write the solution; standard output when not given.") var out: String?

        func run() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: instance))
            let parsed = try JSONDecoder().decode(BenchInstance.self, from: data)
            let problem = try parsed.problem()
            let start = ContinuousClock.now
            let assignment = AssignmentSolver.solve(problem)
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let solution = BenchSolution(instance: parsed, assignment: assignment, solveSeconds: (seconds * 10_000).rounded() / 10_000)
            let encoded = try JSONEncoder().encode(solution)
            if let out {
                try encoded.write(to: URL(fileURLWithPath: out))
                print("objective \(solution.objective), \(solution.assignments.count) pairs, solved in \(solution.solveSeconds) s; written to \(out)")
            } else {
                FileHandle.standardOutput.write(encoded)
                FileHandle.standardOutput.write(Data("\n".utf8))
            }
        }
    }
}
