/// Forms the groups from the scored candidates, in either mode, around the locked pairs and the
/// minimum group sizes.
///
/// Locked pairs are placed first: each takes a seat in its group and a unit of its solver's
/// capacity, and counts towards its group's role bonus. The free seats are then filled, optimally
/// or stably. A pitch whose group ends below its minimum size (or, when it requires its roles,
/// without them) is dropped and the rest are formed again, until every group stands: exact
/// optimisation with all-or-nothing minimums is NP-hard, so the optimum is over the pitches that
/// keep a group. A pitch with a locked pair is never dropped.
struct GroupFormation {
    let community: Community
    let pairs: ScoredPairs
    let settings: RoundSettings
    let pitchRankings: [String: [String]]
    let solverRankings: [String: [String]]
    /// Pair indices of the locked pairs.
    let locked: [Int]

    struct Outcome {
        /// Pair indices in the groups, the locked ones included.
        var chosen: [Int]
        var dropped: [Int: (RoundResult.PitchReason, String)]
        var passes: Int
    }

    func form() -> Outcome {
        let pitchCount = community.pitches.count
        let pairPitch = pairs.pitchOfPairs()
        var seats = community.pitches.map(\.maxGroupSize)
        var capacity = community.solvers.map { $0.consents ? $0.capacity : 0 }
        var bonusSlots: [[Int: Int]] = community.pitches.map { pitch in
            Dictionary(uniqueKeysWithValues: pitch.roles.map { (community.roles.firstIndex(of: $0.key)!, $0.value) })
        }
        var hasLock = [Bool](repeating: false, count: pitchCount)
        let lockedSet = Set(locked)
        for index in locked {
            let p = pairPitch[index]
            let s = Int(pairs.solver[index])
            hasLock[p] = true
            seats[p] -= 1
            capacity[s] -= 1
            if let slots = bonusSlots[p][community.solverRole[s]], slots > 0 { bonusSlots[p][community.solverRole[s]] = slots - 1 }
        }

        var active = [Bool](repeating: true, count: pitchCount)
        var dropped: [Int: (RoundResult.PitchReason, String)] = [:]
        for p in 0..<pitchCount where !hasLock[p] {
            if let reason = certainFailure(p) {
                active[p] = false
                dropped[p] = reason
            }
        }
        var passes = 0
        while true {
            passes += 1
            let free = settings.mode == .optimal
                ? optimal(active: active, seats: seats, capacity: capacity, bonusSlots: bonusSlots, pairPitch: pairPitch, lockedSet: lockedSet)
                : stable(active: active, seats: seats, capacity: capacity, pairPitch: pairPitch, lockedSet: lockedSet)
            let chosen = (locked + free).sorted()
            var members = [[Int]](repeating: [], count: pitchCount)
            for index in chosen { members[pairPitch[index]].append(Int(pairs.solver[index])) }
            var anyDropped = false
            for p in 0..<pitchCount where active[p] && !hasLock[p] {
                if let reason = failure(p, members: members[p]) {
                    active[p] = false
                    dropped[p] = reason
                    anyDropped = true
                }
            }
            if !anyDropped { return Outcome(chosen: chosen, dropped: dropped, passes: passes) }
        }
    }

    /// Why a pitch cannot get a group whatever the others do.
    private func certainFailure(_ p: Int) -> (RoundResult.PitchReason, String)? {
        let pitch = community.pitches[p]
        let range = pairs.range(of: p)
        if range.count < pitch.minGroupSize {
            return (.tooFewCandidates, "\(range.count) candidates after exclusions; the group needs at least \(pitch.minGroupSize)")
        }
        if pitch.requiresRoles {
            for (role, needed) in pitch.roles.sorted(by: { $0.key < $1.key }) where needed > 0 {
                let have = range.filter { community.solvers[Int(pairs.solver[$0])].role == role }.count
                if have < needed {
                    return (.roleMissing, "needs \(needed) \(role)\(needed == 1 ? "" : "s"); \(have) among the candidates")
                }
            }
        }
        return nil
    }

    /// Why a formed group does not stand, or nil when it does.
    private func failure(_ p: Int, members: [Int]) -> (RoundResult.PitchReason, String)? {
        let pitch = community.pitches[p]
        if members.count < pitch.minGroupSize {
            return (.capacityUsedElsewhere,
                    "\(pairs.range(of: p).count) candidates, but only \(members.count) free when the best groups for all were formed; the group needs at least \(pitch.minGroupSize)")
        }
        if pitch.requiresRoles {
            for (role, needed) in pitch.roles.sorted(by: { $0.key < $1.key }) where needed > 0 {
                let have = members.filter { community.solvers[$0].role == role }.count
                if have < needed {
                    return (.roleMissing, "needs \(needed) \(role)\(needed == 1 ? "" : "s"); the candidates of that role were used elsewhere")
                }
            }
        }
        return nil
    }

    private func optimal(
        active: [Bool], seats: [Int], capacity: [Int], bonusSlots: [[Int: Int]], pairPitch: [Int], lockedSet: Set<Int>
    ) -> [Int] {
        var candidates: [AssignmentProblem.Candidate] = []
        var pairOf: [Int] = []
        candidates.reserveCapacity(pairs.count)
        pairOf.reserveCapacity(pairs.count)
        for index in 0..<pairs.count where active[pairPitch[index]] && !lockedSet.contains(index) {
            candidates.append(.init(pitch: pairPitch[index], solver: Int(pairs.solver[index]), weight: Int(pairs.points[index])))
            pairOf.append(index)
        }
        let problem = AssignmentProblem(
            pitches: community.pitches.indices.map { AssignmentProblem.Pitch(groupSize: active[$0] ? max(seats[$0], 0) : 0, minPerRole: bonusSlots[$0]) },
            solvers: community.solvers.indices.map { AssignmentProblem.Solver(role: community.solverRole[$0], capacity: max(capacity[$0], 0)) },
            candidates: candidates,
            roleBonus: settings.roleBonus)
        return AssignmentSolver.solve(problem).chosen.map { pairOf[$0] }
    }

    /// Deferred acceptance with solvers proposing (see `StableMatching`).
    private func stable(active: [Bool], seats: [Int], capacity: [Int], pairPitch: [Int], lockedSet: Set<Int>) -> [Int] {
        let pitchOrder = community.pitches.indices.map { p in
            ranked(pairs.range(of: p).filter { !lockedSet.contains($0) }, by: pitchRankings[community.pitches[p].id]) {
                community.solvers[Int(pairs.solver[$0])].id
            }
        }
        var bySolver = [[Int]](repeating: [], count: community.solvers.count)
        for index in 0..<pairs.count where active[pairPitch[index]] && !lockedSet.contains(index) {
            bySolver[Int(pairs.solver[index])].append(index)
        }
        let solverOrder = community.solvers.indices.map { s in
            ranked(bySolver[s], by: solverRankings[community.solvers[s].id]) { community.pitches[pairPitch[$0]].id }
        }
        return StableMatching.match(
            seats: community.pitches.indices.map { active[$0] ? max(seats[$0], 0) : 0 },
            capacity: capacity.map { max($0, 0) },
            pitchPreferences: pitchOrder, solverPreferences: solverOrder,
            pitchOf: { pairPitch[$0] }, solverOf: { Int(pairs.solver[$0]) })
    }

    /// Pair indices in preference order: the ranking's ids first, in its order, then the rest by
    /// points, ties by the other side's id.
    private func ranked(_ indices: [Int], by ranking: [String]?, id: (Int) -> String) -> [Int] {
        let position = Dictionary((ranking ?? []).enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return indices.sorted { a, b in
            let rankA = position[id(a)] ?? Int.max
            let rankB = position[id(b)] ?? Int.max
            if rankA != rankB { return rankA < rankB }
            if pairs.points[a] != pairs.points[b] { return pairs.points[a] > pairs.points[b] }
            return id(a) < id(b)
        }
    }
}
