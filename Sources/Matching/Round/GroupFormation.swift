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
            return (.tooFewCandidates, "\(range.count) candidate\(range.count == 1 ? "" : "s") fit above the floor (\(settings.fitFloorText)) after exclusions; the group needs at least \(pitch.minGroupSize)")
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
        var pairOf: [Int] = []
        pairOf.reserveCapacity(pairs.count)
        for index in 0..<pairs.count where active[pairPitch[index]] && !lockedSet.contains(index) { pairOf.append(index) }
        let tieBreak = TieBreak(pairs: pairs, chosenFrom: pairOf, pairPitch: pairPitch,
                                seats: community.pitches.indices.reduce(0) { $0 + (active[$1] ? max(seats[$1], 0) : 0) },
                                largestWeight: Int(pairs.points.max() ?? 0) + settings.roleBonus)
        let problem = AssignmentProblem(
            pitches: community.pitches.indices.map { AssignmentProblem.Pitch(groupSize: active[$0] ? max(seats[$0], 0) : 0, minPerRole: bonusSlots[$0]) },
            solvers: community.solvers.indices.map { AssignmentProblem.Solver(role: community.solverRole[$0], capacity: max(capacity[$0], 0)) },
            candidates: pairOf.indices.map { position in
                let index = pairOf[position]
                return .init(pitch: pairPitch[index], solver: Int(pairs.solver[index]),
                             weight: Int(pairs.points[index]) * tieBreak.multiplier + tieBreak.bonus[position])
            },
            roleBonus: settings.roleBonus * tieBreak.multiplier)
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
            pitchPreferences: pitchOrder, solverPreferences: solverOrder, pairCount: pairs.count,
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

/// Breaks ties between equally good results by id, without changing which results are best.
///
/// Within each pitch, candidates with the same points get a small bonus that is larger for the
/// lower solver id (0 for the highest id of the tie). Every pair's points are multiplied by one
/// more than the largest total bonus any assignment can collect, so that the bonus only decides
/// between assignments whose points are equal. When ties are rare the multiplier stays small, and
/// it is left at 1 (no tie-breaking, still deterministic) if it would make weights too large.
struct TieBreak {
    var multiplier = 1
    /// The bonus of each candidate, by position in `chosenFrom`.
    var bonus: [Int]

    init(pairs: ScoredPairs, chosenFrom indices: [Int], pairPitch: [Int], seats: Int, largestWeight: Int) {
        bonus = [Int](repeating: 0, count: indices.count)
        var largestBonus = 0
        var start = 0
        while start < indices.count {
            // One pitch's candidates: consecutive, solvers ascending.
            var end = start
            while end < indices.count && pairPitch[indices[end]] == pairPitch[indices[start]] { end += 1 }
            var remaining: [Int32: Int] = [:]
            for position in start..<end { remaining[pairs.points[indices[position]], default: 0] += 1 }
            for position in start..<end {
                let points = pairs.points[indices[position]]
                remaining[points]! -= 1
                bonus[position] = remaining[points]!
                largestBonus = max(largestBonus, bonus[position])
            }
            start = end
        }
        let multiplier = seats * largestBonus + 1
        if largestBonus == 0 || multiplier > (1 << 24) || largestWeight * multiplier > (1 << 40) {
            bonus = [Int](repeating: 0, count: indices.count)
        } else {
            self.multiplier = multiplier
        }
    }
}
