/// The assignment step of a match round, by index: which solvers join which pitches.
///
/// Maximise the sum of the chosen pairs' weights plus `roleBonus` for each of the first
/// `minPerRole[r]` solvers of role `r` in a pitch's group, with each pitch taking at most
/// `groupSize` solvers and each solver joining at most `capacity` pitches. Only candidate pairs may
/// be chosen; a pair that is not a candidate (a conflict, no consent, filtered out) never is.
public struct AssignmentProblem: Sendable, Equatable {
    public struct Pitch: Sendable, Equatable {
        public var groupSize: Int
        /// Soft role mix: role index to the number of solvers of that role that earn the bonus.
        public var minPerRole: [Int: Int]

        public init(groupSize: Int, minPerRole: [Int: Int] = [:]) {
            self.groupSize = groupSize
            self.minPerRole = minPerRole
        }
    }

    public struct Solver: Sendable, Equatable {
        public var role: Int
        public var capacity: Int

        public init(role: Int, capacity: Int) {
            self.role = role
            self.capacity = capacity
        }
    }

    public struct Candidate: Sendable, Equatable {
        public var pitch: Int
        public var solver: Int
        public var weight: Int

        public init(pitch: Int, solver: Int, weight: Int) {
            self.pitch = pitch
            self.solver = solver
            self.weight = weight
        }
    }

    public var pitches: [Pitch]
    public var solvers: [Solver]
    public var candidates: [Candidate]
    public var roleBonus: Int

    public init(pitches: [Pitch], solvers: [Solver], candidates: [Candidate], roleBonus: Int) {
        self.pitches = pitches
        self.solvers = solvers
        self.candidates = candidates
        self.roleBonus = roleBonus
    }

    /// The objective of a set of chosen candidates (indices into `candidates`), or nil when the
    /// choice breaks a group size or a capacity.
    public func objective(of chosen: [Int]) -> Int? {
        var groupCounts = [Int](repeating: 0, count: pitches.count)
        var loads = [Int](repeating: 0, count: solvers.count)
        var roleCounts: [Int: [Int: Int]] = [:]
        var seen = Set<Int>()
        var total = 0
        for index in chosen {
            guard seen.insert(index).inserted else { return nil }
            let candidate = candidates[index]
            groupCounts[candidate.pitch] += 1
            loads[candidate.solver] += 1
            if groupCounts[candidate.pitch] > pitches[candidate.pitch].groupSize { return nil }
            if loads[candidate.solver] > solvers[candidate.solver].capacity { return nil }
            roleCounts[candidate.pitch, default: [:]][solvers[candidate.solver].role, default: 0] += 1
            total += candidate.weight
        }
        for (pitch, counts) in roleCounts {
            for (role, count) in counts {
                total += roleBonus * min(count, pitches[pitch].minPerRole[role] ?? 0)
            }
        }
        return total
    }
}

/// The chosen candidates (indices into the problem's `candidates`, ascending) and their objective.
public struct Assignment: Sendable, Equatable {
    public var chosen: [Int]
    public var objective: Int

    public init(chosen: [Int], objective: Int) {
        self.chosen = chosen
        self.objective = objective
    }
}
