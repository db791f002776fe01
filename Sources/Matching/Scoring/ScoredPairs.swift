/// The scored candidate pairs of a round, grouped by pitch (CSR): pitch p's pairs are
/// `start[p]..<start[p + 1]`, its solvers ascending.
struct ScoredPairs: Sendable {
    var start: [Int] = [0]
    var solver: [Int32] = []
    var points: [Int32] = []
    var values: [FactorValues] = []

    var count: Int { solver.count }

    /// Each pair's pitch.
    func pitchOfPairs() -> [Int] {
        var result = [Int](repeating: 0, count: count)
        for p in 0..<(start.count - 1) { for index in range(of: p) { result[index] = p } }
        return result
    }

    func range(of pitch: Int) -> Range<Int> { start[pitch]..<start[pitch + 1] }

    /// The index of a pair, or nil when it is not a candidate.
    func index(pitch: Int, solver s: Int) -> Int? {
        let range = range(of: pitch)
        var low = range.lowerBound
        var high = range.upperBound
        while low < high {
            let middle = (low + high) / 2
            if Int(solver[middle]) < s { low = middle + 1 } else { high = middle }
        }
        return low < range.upperBound && Int(solver[low]) == s ? low : nil
    }

    mutating func append(pitchPairs: [(solver: Int32, points: Int32, values: FactorValues)]) {
        for pair in pitchPairs.sorted(by: { $0.solver < $1.solver }) {
            solver.append(pair.solver)
            points.append(pair.points)
            values.append(pair.values)
        }
        start.append(solver.count)
    }
}
