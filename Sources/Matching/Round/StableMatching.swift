/// Many-to-many deferred acceptance (Gale–Shapley with capacities, Roth 1984), solvers proposing.
///
/// Each solver with free capacity proposes to the next pitch on its list; a pitch holds the best
/// proposals up to its free seats and lets the worst go when a better one comes. It ends when no
/// solver with free capacity has a pitch left to propose to.
///
/// Stability here means pairwise stability: there is no candidate pair (p, s) outside the result
/// such that p has a free seat or prefers s to one of its members, and s has free capacity or
/// prefers p to one of its pitches. With preferences that rank single partners (responsive
/// preferences) such a result always exists, and this one is the best stable result for every
/// solver. Only candidate pairs are acceptable: each side prefers staying unmatched to any other.
enum StableMatching {
    /// The pairs (by the caller's pair index) in the stable result.
    /// - Parameters:
    ///   - pitchPreferences: each pitch's pairs, best first.
    ///   - solverPreferences: each solver's pairs, best first.
    ///   - pairCount: pair indices are below it.
    static func match(
        seats: [Int], capacity: [Int], pitchPreferences: [[Int]], solverPreferences: [[Int]], pairCount: Int,
        pitchOf: (Int) -> Int, solverOf: (Int) -> Int
    ) -> [Int] {
        // Each pair's place in its pitch's preferences; a pair the pitch does not rank is not acceptable.
        var rank = [Int](repeating: -1, count: pairCount)
        for preferences in pitchPreferences {
            for (position, pair) in preferences.enumerated() { rank[pair] = position }
        }
        var held = [[Int]](repeating: [], count: seats.count)
        var load = [Int](repeating: 0, count: capacity.count)
        var next = [Int](repeating: 0, count: capacity.count)
        var waiting = Array(capacity.indices.reversed())
        while let s = waiting.popLast() {
            while load[s] < capacity[s] && next[s] < solverPreferences[s].count {
                let pair = solverPreferences[s][next[s]]
                next[s] += 1
                let p = pitchOf(pair)
                let pairRank = rank[pair]
                guard seats[p] > 0, pairRank >= 0 else { continue }
                if held[p].count < seats[p] {
                    held[p].append(pair)
                    load[s] += 1
                    continue
                }
                let worst = held[p].indices.max { rank[held[p][$0]] < rank[held[p][$1]] }!
                guard pairRank < rank[held[p][worst]] else { continue }
                let bumped = solverOf(held[p][worst])
                held[p][worst] = pair
                load[s] += 1
                load[bumped] -= 1
                waiting.append(bumped)
            }
        }
        return held.flatMap { $0 }.sorted()
    }
}
