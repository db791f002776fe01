import Foundation

/// A pitch in a match round: the problem a clinician brought, what it asks for, and whom its
/// clinician shortlisted or declined.
public struct MatchPitch: Sendable, Equatable {
    public var id: String
    /// The organisation of the pitch's author: its members have a conflict of interest.
    public var organisation: String?
    /// Wanted expertise: domain, methods, data (tag ids, labels or synonyms).
    public var tags: [String]
    public var text: String
    /// The language the text is written in, when its words do not tell.
    public var textLanguage: TextLanguage
    /// Languages the group can work in (e.g. "da", "en").
    public var languages: [String]
    /// When true, a solver who shares none of `languages` is excluded rather than scored lower.
    public var requiresSharedLanguage: Bool
    /// The roles asked for, with how many of each earn the round's role bonus.
    public var roles: [String: Int]
    /// When true, a group without `roles[r]` solvers of each role is not formed.
    public var requiresRoles: Bool
    public var minGroupSize: Int
    public var maxGroupSize: Int
    /// Hours a month the pitch expects from each member; nil when not said.
    public var effortHours: Double?
    /// Solvers the clinician would like to meet.
    public var shortlisted: [String]
    /// Solvers the clinician said "no thanks" to.
    public var declined: [String]

    public init(
        id: String, organisation: String? = nil, tags: [String] = [], text: String = "",
        textLanguage: TextLanguage = .english, languages: [String] = ["da", "en"],
        requiresSharedLanguage: Bool = false, roles: [String: Int] = [:], requiresRoles: Bool = false,
        minGroupSize: Int = 1, maxGroupSize: Int = 4, effortHours: Double? = nil,
        shortlisted: [String] = [], declined: [String] = []
    ) {
        self.id = id
        self.organisation = organisation
        self.tags = tags
        self.text = text
        self.textLanguage = textLanguage
        self.languages = languages
        self.requiresSharedLanguage = requiresSharedLanguage
        self.roles = roles
        self.requiresRoles = requiresRoles
        self.minGroupSize = minGroupSize
        self.maxGroupSize = maxGroupSize
        self.effortHours = effortHours
        self.shortlisted = shortlisted
        self.declined = declined
    }
}

/// A person who can be matched: their role, expertise, profile text, languages, time and answers.
public struct MatchSolver: Sendable, Equatable {
    public var id: String
    /// startup, researcher, student, mentor or specialist.
    public var role: String
    public var organisation: String?
    public var tags: [String]
    public var text: String
    public var textLanguage: TextLanguage
    public var languages: [String]
    /// Hours a month they can give; nil when not said.
    public var hoursPerMonth: Double?
    /// How many groups they can join in this round.
    public var capacity: Int
    /// Whether they agreed to be matched. Without consent they are never a candidate.
    public var consents: Bool
    /// Pitches they said they are interested in.
    public var interested: [String]
    /// Pitches they said "no thanks" to.
    public var declined: [String]
    /// Declared conflicts of interest: pitch ids or organisation ids.
    public var conflicts: [String]

    public init(
        id: String, role: String, organisation: String? = nil, tags: [String] = [], text: String = "",
        textLanguage: TextLanguage = .english, languages: [String] = ["en"], hoursPerMonth: Double? = nil,
        capacity: Int = 1, consents: Bool = true, interested: [String] = [], declined: [String] = [],
        conflicts: [String] = []
    ) {
        self.id = id
        self.role = role
        self.organisation = organisation
        self.tags = tags
        self.text = text
        self.textLanguage = textLanguage
        self.languages = languages
        self.hoursPerMonth = hoursPerMonth
        self.capacity = capacity
        self.consents = consents
        self.interested = interested
        self.declined = declined
        self.conflicts = conflicts
    }
}

/// A pitch and a solver, by id.
public struct PairID: Sendable, Hashable, Comparable {
    public var pitch: String
    public var solver: String

    public init(pitch: String, solver: String) {
        self.pitch = pitch
        self.solver = solver
    }

    public static func < (a: PairID, b: PairID) -> Bool { (a.pitch, a.solver) < (b.pitch, b.solver) }
}

/// How a round forms its groups.
public enum MatchMode: String, Sendable, CaseIterable {
    /// The groups with the highest total score for the whole community (exact).
    case optimal
    /// Deferred acceptance on each side's ranking: no pitch and solver would both rather be together.
    case stable
}

/// The organiser's settings for one round.
public struct RoundSettings: Sendable, Equatable {
    public var weights: FactorWeights
    /// How many candidates each pitch keeps from candidate generation (K).
    public var candidatesPerPitch: Int
    /// Points for each of the first `roles[r]` solvers of role r in a group.
    public var roleBonus: Int
    /// A score of 1 is worth this many points.
    public var scale: Int
    public var mode: MatchMode
    /// The least score, from 0 to 1, of a pair the round proposes: seats above a group's minimum
    /// stay empty rather than go to a pair below it. Locked pairs are kept whatever they score.
    public var fitFloor: Double

    /// The default fit floor: a pair must share about a quarter of the pitch's concepts, or a
    /// good part of its words. Of the floors the match quality benchmark tries (0 to 0.20), it is
    /// the one that meets every target.
    public static let standardFitFloor = 0.1

    /// The fit floor as the reasons for what a round left out write it: "0.10".
    var fitFloorText: String { String(format: "%.2f", fitFloor) }

    public init(
        weights: FactorWeights = .standard, candidatesPerPitch: Int = 50, roleBonus: Int = 300,
        scale: Int = 1000, mode: MatchMode = .optimal, fitFloor: Double = standardFitFloor
    ) {
        self.weights = weights
        self.candidatesPerPitch = candidatesPerPitch
        self.roleBonus = roleBonus
        self.scale = scale
        self.mode = mode
        self.fitFloor = fitFloor
    }
}

/// Everything a round needs.
public struct RoundInput: Sendable {
    public var pitches: [MatchPitch]
    public var solvers: [MatchSolver]
    public var tags: [MatchTag]
    public var settings: RoundSettings
    /// Pairs that met in earlier rounds, once per meeting.
    public var history: [PairID]
    /// Pairs the organiser blocked.
    public var blocked: [PairID]
    /// Pairs the organiser locked in: always in the result.
    public var locked: [PairID]
    /// For stable rounds: each pitch's ranking of solvers and each solver's ranking of pitches,
    /// best first. Candidates a ranking leaves out follow it in order of score.
    public var pitchRankings: [String: [String]]
    public var solverRankings: [String: [String]]

    public init(
        pitches: [MatchPitch], solvers: [MatchSolver], tags: [MatchTag] = [], settings: RoundSettings = RoundSettings(),
        history: [PairID] = [], blocked: [PairID] = [], locked: [PairID] = [],
        pitchRankings: [String: [String]] = [:], solverRankings: [String: [String]] = [:]
    ) {
        self.pitches = pitches
        self.solvers = solvers
        self.tags = tags
        self.settings = settings
        self.history = history
        self.blocked = blocked
        self.locked = locked
        self.pitchRankings = pitchRankings
        self.solverRankings = solverRankings
    }
}

/// Input a round cannot run on, said plainly.
public enum RoundError: Error, Equatable, CustomStringConvertible {
    case duplicateID(String)
    case unknownID(String)
    case invalidSetting(String)
    case invalidPitch(id: String, reason: String)
    case invalidSolver(id: String, reason: String)
    case lockedPairExcluded(PairID, reason: String)
    case lockedPairsExceed(id: String, reason: String)

    public var description: String {
        switch self {
        case .duplicateID(let id): "The id \(id) is used twice."
        case .unknownID(let id): "No pitch or solver in the round has the id \(id)."
        case .invalidSetting(let reason): reason
        case .invalidPitch(let id, let reason): "Pitch \(id): \(reason)"
        case .invalidSolver(let id, let reason): "Solver \(id): \(reason)"
        case .lockedPairExcluded(let pair, let reason): "The locked pair \(pair.pitch)–\(pair.solver) is excluded: \(reason)."
        case .lockedPairsExceed(let id, let reason): "Locked pairs for \(id): \(reason)"
        }
    }
}
