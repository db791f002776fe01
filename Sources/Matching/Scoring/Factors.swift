/// The factors of a pair's score, each a value in [0, 1]. Three say what the pair has in common
/// (`tags`, `text`, `interest`: the fit); the other four adjust that fit and never create one.
public enum Factor: String, Sendable, CaseIterable, Hashable {
    /// The pitch's concepts (its tags and those found in its text) that the solver has (in their
    /// tags or their text), weighted by rarity (IDF).
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

    /// Whether the factor is part of the fit, rather than an adjustment of it.
    public var isFit: Bool { self == .tags || self == .text || self == .interest }
}

/// The weight of each factor in a round.
///
/// A pair's score is its fit times its adjustment, in [0, 1]:
/// - the fit is the weighted mean of the fit factors (tags, text, interest);
/// - the adjustment is 1 − A × (1 − the weighted mean of the adjusting factors), where A is the
///   adjusting factors' share of all the weights.
///
/// A pair whose adjusting factors are all 1 scores its fit; one that shares nothing with the pitch
/// scores 0 however well it is adjusted. With the standard weights an unavailable, unnovel pair in
/// no shared language and the wrong role keeps 9/13 of its fit.
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

    /// The weight of the fit factors: a score needs some.
    var fitTotal: Double { Factor.allCases.filter(\.isFit).reduce(0) { $0 + max(self[$1], 0) } }

    /// The weighted score of a pair's values, in [0, 1].
    func score(_ values: FactorValues) -> Double { Normalised(self).score(values) }

    /// The score as integer points at `scale`: what the assignment adds up.
    func points(_ values: FactorValues, scale: Int) -> Int { Normalised(self).points(values, scale: scale) }

    /// The weights as plain numbers: each fit factor's share of the fit weights, each adjusting
    /// factor's share of all the weights. What scoring a pair reads.
    struct Normalised: Sendable {
        var tags, text, interest: Double
        var role, language, availability, novelty: Double

        init(_ weights: FactorWeights) {
            let total = weights.total
            let fitTotal = weights.fitTotal
            func fitShare(_ factor: Factor) -> Double { fitTotal > 0 ? max(weights[factor], 0) / fitTotal : 0 }
            func share(_ factor: Factor) -> Double { total > 0 ? max(weights[factor], 0) / total : 0 }
            tags = fitShare(.tags)
            text = fitShare(.text)
            interest = fitShare(.interest)
            role = share(.role)
            language = share(.language)
            availability = share(.availability)
            novelty = share(.novelty)
        }

        func fit(_ v: FactorValues) -> Double {
            tags * Double(v.tags) + text * Double(v.text) + interest * Double(v.interest)
        }

        /// What the adjusting factors leave of the fit: 1 when they are all 1.
        func adjustment(_ v: FactorValues) -> Double {
            var lost = role * Double(1 - v.role) + language * Double(1 - v.language)
            lost += availability * Double(1 - v.availability) + novelty * Double(1 - v.novelty)
            return 1 - lost
        }

        func score(_ v: FactorValues) -> Double {
            let fit = fit(v)
            return fit > 0 ? fit * adjustment(v) : 0
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

/// Why a pair scored what it did: each factor's raw value, its weight, and for the fit factors
/// their share of the fit.
public struct Explanation: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        public var factor: Factor
        public var value: Double
        public var weight: Double
        /// A fit factor's part of the fit, from 0 to 1 (the fit factors' parts add up to 1 when
        /// the fit is not 0); 0 for the adjusting factors.
        public var share: Double
    }

    public var parts: [Part]
    /// What the pair has in common with the pitch, in [0, 1].
    public var fit: Double
    /// What the adjusting factors leave of the fit, in [0, 1].
    public var adjustment: Double
    /// The score in [0, 1]: the fit times the adjustment.
    public var score: Double
    /// The score as the integer the assignment maximises (score × the round's scale, rounded).
    public var points: Int
    /// The round's fit floor, which the pair reached unless an organiser locked it in.
    public var fitFloor: Double

    init(values: FactorValues, settings: RoundSettings) {
        let weights = settings.weights
        let scale = settings.scale
        fitFloor = settings.fitFloor
        var sum = 0.0
        var parts: [Part] = []
        for factor in Factor.allCases {
            let weight = max(weights[factor], 0)
            let value = Double(values[factor])
            let part = factor.isFit ? weight * value : 0
            sum += part
            parts.append(Part(factor: factor, value: value, weight: weight, share: part))
        }
        for index in parts.indices { parts[index].share = sum > 0 ? parts[index].share / sum : 0 }
        self.parts = parts
        let normalised = FactorWeights.Normalised(weights)
        fit = normalised.fit(values)
        adjustment = normalised.adjustment(values)
        score = normalised.score(values)
        points = normalised.points(values, scale: scale)
    }

    public subscript(factor: Factor) -> Part? { parts.first { $0.factor == factor } }
}
