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
    /// frequency ln(1 + N / df). Each text is counted and weighted on all cores.
    static func corpus(_ documents: [[Int32]], termCount: Int) -> [TermVector] {
        // Each text's distinct terms ascending, with how often it uses each (in `weights`, for now).
        let counted = parallelMap(documents.count, state: { () }) { index, _ in
            var vector = TermVector()
            for term in documents[index].sorted() {
                if vector.terms.last == term {
                    vector.weights[vector.weights.count - 1] += 1
                } else {
                    vector.terms.append(term)
                    vector.weights.append(1)
                }
            }
            return vector
        }
        var documentFrequency = [Int32](repeating: 0, count: termCount)
        for vector in counted {
            for term in vector.terms { documentFrequency[Int(term)] += 1 }
        }
        let total = Float(max(documents.count, 1))
        let idf = documentFrequency.map { df in df == 0 ? 0 : Float(log(1 + Double(total) / Double(df))) }
        return parallelMap(counted.count, state: { () }) { index, _ in
            var vector = counted[index]
            for position in vector.terms.indices {
                vector.weights[position] = (1 + Float(log(Double(vector.weights[position])))) * idf[Int(vector.terms[position])]
            }
            let norm = vector.weights.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 {
                for position in vector.weights.indices { vector.weights[position] /= norm }
            }
            return vector
        }
    }
}
