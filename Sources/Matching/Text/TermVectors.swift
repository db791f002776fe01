import Foundation

/// A text as a sparse, unit-length TF-IDF vector: term ids ascending, each with its weight
/// (1 + ln tf) × idf, scaled to length 1, so that the dot product of two is their cosine.
struct TermVector: Sendable {
    var terms: [Int32] = []
    var weights: [Float] = []

    /// The cosine of two vectors, by merging their sorted term lists.
    func cosine(_ other: TermVector) -> Float {
        var i = 0
        var j = 0
        var sum: Float = 0
        while i < terms.count && j < other.terms.count {
            let a = terms[i]
            let b = other.terms[j]
            if a == b {
                sum += weights[i] * other.weights[j]
                i += 1
                j += 1
            } else if a < b {
                i += 1
            } else {
                j += 1
            }
        }
        return min(sum, 1)
    }

    /// The vectors of a corpus of analysed texts, weighted by the corpus's inverse document
    /// frequency ln(1 + N / df).
    static func corpus(_ documents: [[Int32]], termCount: Int) -> [TermVector] {
        var documentFrequency = [Int32](repeating: 0, count: termCount)
        var counts: [[(term: Int32, count: Int32)]] = []
        counts.reserveCapacity(documents.count)
        for document in documents {
            let sorted = document.sorted()
            var runs: [(term: Int32, count: Int32)] = []
            for term in sorted {
                if let last = runs.last, last.term == term {
                    runs[runs.count - 1].count += 1
                } else {
                    runs.append((term, 1))
                    documentFrequency[Int(term)] += 1
                }
            }
            counts.append(runs)
        }
        let total = Float(max(documents.count, 1))
        let idf = documentFrequency.map { df in df == 0 ? 0 : Float(log(1 + Double(total) / Double(df))) }
        return counts.map { runs in
            var vector = TermVector()
            vector.terms = runs.map(\.term)
            vector.weights = runs.map { (1 + Float(log(Double($0.count)))) * idf[Int($0.term)] }
            let norm = vector.weights.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 {
                for index in vector.weights.indices { vector.weights[index] /= norm }
            }
            return vector
        }
    }
}
