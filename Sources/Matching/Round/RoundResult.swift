/// What a round proposes: the groups, why each member is there, and who was left out and why.
public struct RoundResult: Sendable {
    public struct Member: Sendable, Equatable {
        public var solver: String
        public var role: String
        /// Locked in by an organiser.
        public var locked: Bool
        public var explanation: Explanation
        /// The concepts they share with the pitch, and what gave each on either side.
        public var shared: [SharedConcept]
    }

    /// A concept a member shares with the pitch: the tag's id (or a free tag as written), and the
    /// tags and words of the text that gave it on each side ("eye-tracking", from "øjenstyring"
    /// in the pitch and the tag "Eye tracking" in the profile).
    public struct SharedConcept: Sendable, Equatable {
        public var concept: String
        public var pitchTags: [String]
        public var pitchWords: [String]
        public var solverTags: [String]
        public var solverWords: [String]
    }

    public struct Group: Sendable, Equatable {
        public var pitch: String
        /// Best score first, ties by solver id.
        public var members: [Member]
        /// Σ of the members' points.
        public var pairPoints: Int
        /// The role bonus the group earns: roleBonus × Σ over roles of min(members of the role, asked).
        public var roleBonus: Int
        public var total: Int { pairPoints + roleBonus }
    }

    public enum PitchReason: String, Sendable, Equatable {
        /// Fewer candidates than the minimum group size: after exclusions, at or above the fit floor.
        case tooFewCandidates
        /// The pitch requires a role that no candidate has enough of.
        case roleMissing
        /// It had enough candidates, but the best groups for everyone used them elsewhere.
        case capacityUsedElsewhere
    }

    public struct UnmatchedPitch: Sendable, Equatable {
        public var pitch: String
        public var reason: PitchReason
        public var detail: String
    }

    public enum SolverReason: String, Sendable, Equatable {
        case noConsent
        case noCapacity
        /// No pitch they fit above the floor: nothing in common with any, or too little.
        case noFit
        /// Some pitch fits them above the floor but kept K better candidates, or the pitches they
        /// share something with exclude them.
        case noCandidatePitch
        /// They were a candidate, but every pitch they could join was better served by others.
        case notChosen
    }

    public struct UnmatchedSolver: Sendable, Equatable {
        public var solver: String
        public var reason: SolverReason
        public var detail: String
    }

    public struct Statistics: Sendable {
        public var pitches: Int
        public var solvers: Int
        /// Pairs scored exactly and kept as candidates.
        public var candidatePairs: Int
        /// Pairs that shared a tag or a term with their pitch, scored from the index's estimate.
        public var pairsEstimated: Int
        /// Pairs scored exactly (the best 2K estimates of each pitch, and the pairs asked for).
        public var pairsScored: Int
        /// Seconds for indexing the texts and tags, the concept reading included.
        public var indexSeconds: Double
        /// Of `indexSeconds`, those spent reading the taxonomy's concepts in the texts.
        public var conceptSeconds: Double
        /// Seconds for generating and scoring the candidates.
        public var scoringSeconds: Double
        /// Seconds for forming the groups (all passes).
        public var assignmentSeconds: Double
        /// How many times the groups were formed: more than one when pitches below their minimum
        /// size were dropped and the rest formed again.
        public var passes: Int
    }

    public var mode: MatchMode
    public var groups: [Group]
    public var unmatchedPitches: [UnmatchedPitch]
    public var unmatchedSolvers: [UnmatchedSolver]
    /// Σ over groups of their totals: the objective the optimal mode maximises.
    public var objective: Int
    public var statistics: Statistics

    let community: Community
    let pairs: ScoredPairs
    /// The settings the round ran with: its weights, K, role bonus, scale, mode and fit floor.
    public let settings: RoundSettings

    /// The explanation of a scored pair, or nil when the pair was not a candidate.
    public func explanation(pitch: String, solver: String) -> Explanation? {
        guard let p = community.pitchIndex[pitch], let s = community.solverIndex[solver],
              let index = pairs.index(pitch: p, solver: s) else { return nil }
        return Explanation(values: pairs.values[index], settings: settings)
    }

    /// Why a pair may never be matched (a conflict, no consent, a "no thanks", a block), or nil.
    public func exclusion(pitch: String, solver: String) -> Exclusion? {
        guard let p = community.pitchIndex[pitch], let s = community.solverIndex[solver] else { return nil }
        return community.exclusion(p, s)
    }

    /// A pitch's candidates with their explanations, best first, ties by solver id.
    public func candidates(of pitch: String) -> [(solver: String, explanation: Explanation)] {
        guard let p = community.pitchIndex[pitch] else { return [] }
        return pairs.range(of: p)
            .map { (community.solvers[Int(pairs.solver[$0])].id, Explanation(values: pairs.values[$0], settings: settings)) }
            .sorted { $0.1.points != $1.1.points ? $0.1.points > $1.1.points : $0.0 < $1.0 }
    }
}
