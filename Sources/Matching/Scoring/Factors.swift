/// The factors of a pair's score, each a value in [0, 1].
public enum Factor: String, Sendable, CaseIterable, Hashable {
    /// The pitch's wanted tags that the solver has, weighted by rarity (IDF).
    case tags
    /// TF-IDF cosine of the pitch's text and the solver's profile text.
    case text
    /// Whether the solver's role is one the pitch asks for (1 when it asks for none).
    case role
    /// Whether they share a language.
    case language
    /// The solver's hours a month against the pitch's expected effort, at most 1.
    case availability
    /// Half for the solver's interest in the pitch, half for the clinician's shortlisting.
    case interest
    /// 1 for a pair that never met, 1/(1 + n) for one that met in n earlier rounds.
    case novelty
}

/// The weight of each factor in a round. A pair's score is Σ weight × value / Σ weight, in [0, 1].
public struct FactorWeights: Sendable, Equatable {
    public var values: [Factor: Double]

    public init(_ values: [Factor: Double]) {
        self.values = values
    }

    /// Kobling's defaults: what the pair has in common counts most, then role and time.
    public static let standard = FactorWeights([
        .tags: 4, .text: 3, .role: 1, .language: 1, .availability: 1, .interest: 2, .novelty: 1,
    ])

    public subscript(factor: Factor) -> Double { values[factor] ?? 0 }

    var total: Double { Factor.allCases.reduce(0) { $0 + max(self[$1], 0) } }

    /// The weighted score of a pair's values, in [0, 1].
    func score(_ values: FactorValues) -> Double { Normalised(self).score(values) }

    /// The score as integer points at `scale`: what the assignment adds up.
    func points(_ values: FactorValues, scale: Int) -> Int { Normalised(self).points(values, scale: scale) }

    /// The weights divided by their total, as plain numbers: what scoring a pair reads.
    struct Normalised: Sendable {
        var tags, text, role, language, availability, interest, novelty: Double

        init(_ weights: FactorWeights) {
            let total = weights.total
            func share(_ factor: Factor) -> Double { total > 0 ? max(weights[factor], 0) / total : 0 }
            tags = share(.tags)
            text = share(.text)
            role = share(.role)
            language = share(.language)
            availability = share(.availability)
            interest = share(.interest)
            novelty = share(.novelty)
        }

        func score(_ v: FactorValues) -> Double {
            var sum = tags * Double(v.tags) + text * Double(v.text) + role * Double(v.role)
            sum += language * Double(v.language) + availability * Double(v.availability)
            sum += interest * Double(v.interest) + novelty * Double(v.novelty)
            return sum
        }

        func points(_ values: FactorValues, scale: Int) -> Int {
            Int((score(values) * Double(scale)).rounded())
        }
    }
}

/// One pair's factor values, in `Factor.allCases` order.
struct FactorValues: Sendable {
    var tags: Float = 0
    var text: Float = 0
    var role: Float = 0
    var language: Float = 0
    var availability: Float = 0
    var interest: Float = 0
    var novelty: Float = 0

    subscript(factor: Factor) -> Float {
        switch factor {
        case .tags: tags
        case .text: text
        case .role: role
        case .language: language
        case .availability: availability
        case .interest: interest
        case .novelty: novelty
        }
    }
}

/// Why a pair scored what it did: each factor's raw value, its weight and its share of the score.
public struct Explanation: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        public var factor: Factor
        public var value: Double
        public var weight: Double
        /// This factor's part of the score, from 0 to 1; the parts add up to 1 when the score is not 0.
        public var share: Double
    }

    public var parts: [Part]
    /// The weighted score in [0, 1].
    public var score: Double
    /// The score as the integer the assignment maximises (score × the round's scale, rounded).
    public var points: Int

    init(values: FactorValues, weights: FactorWeights, scale: Int) {
        var sum = 0.0
        var parts: [Part] = []
        for factor in Factor.allCases {
            let weight = max(weights[factor], 0)
            let value = Double(values[factor])
            sum += weight * value
            parts.append(Part(factor: factor, value: value, weight: weight, share: weight * value))
        }
        for index in parts.indices { parts[index].share = sum > 0 ? parts[index].share / sum : 0 }
        self.parts = parts
        score = weights.score(values)
        points = weights.points(values, scale: scale)
    }

    public subscript(factor: Factor) -> Part? { parts.first { $0.factor == factor } }
}
