import Foundation

/// Finds each pitch's best K solvers without scoring every pair.
///
/// An inverted index maps each tag concept and each text term to the solvers that have it. For a
/// pitch, walking the postings of its concepts and terms accumulates, for every solver that shares
/// anything with it, the exact tag overlap and the text cosine over the terms walked. Common terms
/// and concepts, in more than 1% of the profiles (and more than 1,000 of them), are not walked: they weigh little
/// (low IDF) and cost most, so the walked cosine is a close lower bound. The best 2K by that estimate are then scored exactly, and the
/// best K of those kept, ties broken by solver id. Pairs that either side asked for (interest,
/// shortlist) and locked pairs are always kept. Excluded pairs are never scored.
///
/// A pair is a candidate only when it scores above 0 and at least the round's fit floor: a pair
/// with nothing in common is none, and a pair people asked for is one only when it fits. Locked
/// pairs are kept whatever they score.
struct CandidateGenerator {
    let community: Community
    let weights: FactorWeights.Normalised
    let scale: Int
    let perPitch: Int
    /// The fit floor in points: no candidate scores less (and none scores 0).
    let floorPoints: Int

    init(community: Community, weights: FactorWeights.Normalised, scale: Int, perPitch: Int, fitFloor: Double) {
        self.community = community
        self.weights = weights
        self.scale = scale
        self.perPitch = perPitch
        floorPoints = max(Int((fitFloor * Double(scale)).rounded(.up)), 1)
    }

    /// Terms in more profiles than this are skipped when estimating.
    static func commonTermLimit(solvers: Int) -> Int { max(solvers / 100, 1000) }

    struct Output {
        var pairs: ScoredPairs
        /// Pairs estimated from the index, and pairs scored exactly.
        var estimated: Int
        var scored: Int
        /// For each solver, whether some pitch's estimate put them at or above the floor, or a
        /// pitch they share something with excluded them.
        var fitsSomewhere: [Bool]
    }

    /// - Parameters:
    ///   - wanted: for each pitch, the solvers it keeps when they reach the floor, however they rank.
    ///   - locked: for each pitch, the solvers it keeps whatever they score.
    func generate(wanted: [Int: Set<Int>], locked: [Int: Set<Int>]) -> Output {
        let solverCount = community.solvers.count
        let conceptPostings = Postings(community.solverConcepts.map { ($0, nil) }, keyCount: community.conceptWeight.count)
        let termPostings = Postings(community.solverVectors.map { ($0.terms, $0.weights) }, keyCount: community.termCount)
        let commonLimit = Self.commonTermLimit(solvers: solverCount)

        let (perPitchPairs, scratches) = parallelMapKeepingStates(community.pitches.count, state: Scratch.init) { p, scratch in
            scratch.prepare(solverCount)
            for concept in community.pitchConcepts[p] {
                let weight = community.conceptWeight[Int(concept)]
                let solvers = conceptPostings.solvers(of: Int(concept))
                // A concept most profiles name (a word every text uses) is skipped as a common
                // term is: it weighs little and costs most.
                guard solvers.count <= commonLimit else { continue }
                for s in solvers {
                    scratch.touch(Int(s))
                    scratch.tags[Int(s)] += weight
                }
            }
            let vector = community.pitchVectors[p]
            for (term, pitchWeight) in zip(vector.terms, vector.weights) {
                let solvers = termPostings.solvers(of: Int(term))
                guard solvers.count <= commonLimit else { continue }
                let weights = termPostings.weights(of: Int(term))
                for (s, solverWeight) in zip(solvers, weights) {
                    scratch.touch(Int(s))
                    scratch.text[Int(s)] += pitchWeight * solverWeight
                }
            }
            return select(pitch: p, scratch: &scratch, wanted: wanted[p] ?? [], locked: locked[p] ?? [])
        }
        var output = Output(pairs: ScoredPairs(), estimated: 0, scored: 0, fitsSomewhere: [Bool](repeating: false, count: solverCount))
        for scratch in scratches where !scratch.fits.isEmpty {
            for s in 0..<solverCount where scratch.fits[s] { output.fitsSomewhere[s] = true }
        }
        for selection in perPitchPairs {
            output.pairs.append(pitchPairs: selection.pairs)
            output.estimated += selection.estimated
            output.scored += selection.scored
        }
        return output
    }

    private struct Selection {
        var pairs: [(solver: Int32, points: Int32, values: FactorValues)]
        var estimated: Int
        var scored: Int
    }

    private func select(pitch p: Int, scratch: inout Scratch, wanted: Set<Int>, locked: Set<Int>) -> Selection {
        let total = community.pitchConceptTotal[p]
        var estimates: [(points: Int, solver: Int)] = []
        estimates.reserveCapacity(scratch.touched.count)
        for s in scratch.touched {
            guard community.exclusion(p, s) == nil else {
                // Told apart from a solver who fits nowhere: a pitch they share something with
                // excluded them.
                scratch.fit(s)
                continue
            }
            let tags = total > 0 ? min(scratch.tags[s] / total, 1) : 0
            let values = community.values(p, s, tags: tags, text: scratch.text[s])
            let points = weights.points(values, scale: scale)
            // The estimate is a lower bound: one below the floor may still reach it exactly.
            estimates.append((points, s))
            if points >= floorPoints { scratch.fit(s) }
        }
        let shortlist = Self.best(estimates, count: 2 * perPitch)
        var exact = shortlist.map { estimate in
            let s = estimate.solver
            let values = community.values(p, s, tags: community.tagOverlap(p, s), text: community.pitchVectors[p].cosine(community.solverVectors[s]))
            return (points: weights.points(values, scale: scale), solver: s, values: values)
        }
        exact.sort { ($0.points, -$0.solver) > ($1.points, -$1.solver) }
        var kept = Set<Int>()
        var result: [(solver: Int32, points: Int32, values: FactorValues)] = []
        for pair in exact.prefix(perPitch) where pair.points >= floorPoints || locked.contains(pair.solver) {
            kept.insert(pair.solver)
            scratch.fit(pair.solver)
            result.append((Int32(pair.solver), Int32(pair.points), pair.values))
        }
        scratch.reset()
        let asked = forcedPairs(pitch: p, wanted: wanted, locked: locked, kept: kept)
        return Selection(pairs: result + asked, estimated: estimates.count, scored: exact.count + asked.count)
    }

    private func forcedPairs(pitch p: Int, wanted: Set<Int>, locked: Set<Int>, kept: Set<Int>) -> [(solver: Int32, points: Int32, values: FactorValues)] {
        var result: [(solver: Int32, points: Int32, values: FactorValues)] = []
        for s in wanted.union(locked).sorted() {
            guard !kept.contains(s), community.exclusion(p, s) == nil else { continue }
            let values = community.values(p, s)
            let points = weights.points(values, scale: scale)
            guard points >= floorPoints || locked.contains(s) else { continue }
            result.append((Int32(s), Int32(points), values))
        }
        return result
    }

    /// The best `count` by points, ties to the lower solver index, best first.
    static func best(_ items: [(points: Int, solver: Int)], count: Int) -> [(points: Int, solver: Int)] {
        let better: ((points: Int, solver: Int), (points: Int, solver: Int)) -> Bool = {
            $0.points != $1.points ? $0.points > $1.points : $0.solver < $1.solver
        }
        guard items.count > count else { return items.sorted(by: better) }
        // A bounded heap with the worst kept item on top.
        var heap: [(points: Int, solver: Int)] = []
        heap.reserveCapacity(count)
        for item in items {
            if heap.count < count {
                heap.append(item)
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard better(heap[parent], heap[child]) else { break }
                    heap.swapAt(parent, child)
                    child = parent
                }
            } else if better(item, heap[0]) {
                heap[0] = item
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    let right = left + 1
                    var worst = parent
                    if left < heap.count && better(heap[worst], heap[left]) { worst = left }
                    if right < heap.count && better(heap[worst], heap[right]) { worst = right }
                    if worst == parent { break }
                    heap.swapAt(parent, worst)
                    parent = worst
                }
            }
        }
        return heap.sorted(by: better)
    }
}

/// An inverted index in CSR form: key k's solvers are `solvers[start[k]..<start[k + 1]]`.
struct Postings: Sendable {
    private var start: [Int]
    private var solverList: [Int32]
    private var weightList: [Float]

    init(_ lists: [([Int32], [Float]?)], keyCount: Int) {
        var counts = [Int](repeating: 0, count: keyCount + 1)
        for (keys, _) in lists { for key in keys { counts[Int(key) + 1] += 1 } }
        for index in 1..<counts.count { counts[index] += counts[index - 1] }
        start = counts
        var next = counts
        solverList = [Int32](repeating: 0, count: counts[keyCount])
        weightList = [Float](repeating: 0, count: counts[keyCount])
        for (solver, (keys, weights)) in lists.enumerated() {
            for (offset, key) in keys.enumerated() {
                solverList[next[Int(key)]] = Int32(solver)
                weightList[next[Int(key)]] = weights?[offset] ?? 1
                next[Int(key)] += 1
            }
        }
    }

    func solvers(of key: Int) -> ArraySlice<Int32> {
        key + 1 < start.count ? solverList[start[key]..<start[key + 1]] : []
    }

    func weights(of key: Int) -> ArraySlice<Float> {
        key + 1 < start.count ? weightList[start[key]..<start[key + 1]] : []
    }
}

/// Per-worker accumulators, cleared after each pitch by walking only the solvers touched.
struct Scratch {
    var tags: [Float] = []
    var text: [Float] = []
    var seen: [Bool] = []
    var touched: [Int] = []
    /// Solvers who reached the floor with some pitch this worker scored; kept across pitches.
    var fits: [Bool] = []

    mutating func prepare(_ count: Int) {
        guard tags.count != count else { return }
        tags = [Float](repeating: 0, count: count)
        text = tags
        seen = [Bool](repeating: false, count: count)
        fits = seen
    }

    mutating func fit(_ s: Int) {
        fits[s] = true
    }

    mutating func touch(_ s: Int) {
        if !seen[s] {
            seen[s] = true
            touched.append(s)
        }
    }

    mutating func reset() {
        for s in touched {
            tags[s] = 0
            text[s] = 0
            seen[s] = false
        }
        touched.removeAll(keepingCapacity: true)
    }
}
