/// A match round as an organiser sets it up: which approved pitches and which people take part,
/// and how the engine weighs and forms the groups. Its runs (`RoundRun`) are what the engine
/// proposed with these settings; one of them is published. Its `version` is not part of its
/// JSON: it travels as the ETag.
public struct Round: Codable, Equatable, Sendable {
    public var id: String
    public var name: String
    /// What the round matches: people to clinicians' pitches, or mentors to startups' mentoring
    /// requests.
    public var kind: RoundKind
    public var pitches: PitchSelection
    public var solvers: SolverSelection
    /// Every group's least and largest size; nil keeps each pitch's own.
    public var groupSize: GroupSize?
    /// The most groups one person joins in this round.
    public var capacity: Int
    /// Points a group earns for each member of a role its pitch asks for, up to the count asked.
    public var roleBonus: Int
    /// Whether a group must have every role its pitch marks required.
    public var requireRoles: Bool
    /// Factor weights by name (`Round.factors`); a factor left out keeps the engine's weight.
    public var weights: [String: Double]
    /// How many candidates each pitch keeps before the groups are formed (K).
    public var candidatesPerPitch: Int
    public var mode: RoundMode
    /// The least score, from 0 to 1, of a pair the round proposes.
    public var fitFloor: Double
    /// Until when people may answer the published proposals.
    public var answerDeadline: String?
    public var status: RoundStatus
    public var publishedRunId: String?
    public var createdAt: String
    public var updatedAt: String
    public var publishedAt: String?
    /// Not in the JSON: the stored row's version.
    public var version = 1

    enum CodingKeys: String, CodingKey {
        case id, name, kind, pitches, solvers, groupSize, capacity, roleBonus, requireRoles, weights, candidatesPerPitch, mode
        case fitFloor, answerDeadline, status, publishedRunId, createdAt, updatedAt, publishedAt
    }

    /// The engine's factors, by the names weights use.
    public static let factors = ["tags", "text", "role", "language", "availability", "interest", "novelty"]
    /// The factors that make a pair's fit: at least one of them needs a weight above 0.
    public static let fitFactors = ["tags", "text", "interest"]
    public static let standardFitFloor = 0.1

    public init(id: String, name: String, now: String) {
        self.id = id
        self.name = name
        kind = .pitches
        pitches = PitchSelection()
        solvers = SolverSelection()
        capacity = 1
        roleBonus = 300
        requireRoles = true
        weights = [:]
        candidatesPerPitch = 50
        mode = .optimal
        fitFloor = Self.standardFitFloor
        status = .open
        createdAt = now
        updatedAt = now
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        try container.encode(pitches, forKey: .pitches)
        try container.encode(solvers, forKey: .solvers)
        try container.encode(groupSize, forKey: .groupSize)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(roleBonus, forKey: .roleBonus)
        try container.encode(requireRoles, forKey: .requireRoles)
        try container.encode(weights, forKey: .weights)
        try container.encode(candidatesPerPitch, forKey: .candidatesPerPitch)
        try container.encode(mode, forKey: .mode)
        try container.encode(fitFloor, forKey: .fitFloor)
        try container.encode(answerDeadline, forKey: .answerDeadline)
        try container.encode(status, forKey: .status)
        try container.encode(publishedRunId, forKey: .publishedRunId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(publishedAt, forKey: .publishedAt)
    }

    /// Rounds stored before they had a kind match pitches.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decodeIfPresent(RoundKind.self, forKey: .kind) ?? .pitches
        pitches = try c.decode(PitchSelection.self, forKey: .pitches)
        solvers = try c.decode(SolverSelection.self, forKey: .solvers)
        groupSize = try c.decodeIfPresent(GroupSize.self, forKey: .groupSize)
        capacity = try c.decode(Int.self, forKey: .capacity)
        roleBonus = try c.decode(Int.self, forKey: .roleBonus)
        requireRoles = try c.decode(Bool.self, forKey: .requireRoles)
        weights = try c.decode([String: Double].self, forKey: .weights)
        candidatesPerPitch = try c.decode(Int.self, forKey: .candidatesPerPitch)
        mode = try c.decode(RoundMode.self, forKey: .mode)
        fitFloor = try c.decode(Double.self, forKey: .fitFloor)
        answerDeadline = try c.decodeIfPresent(String.self, forKey: .answerDeadline)
        status = try c.decode(RoundStatus.self, forKey: .status)
        publishedRunId = try c.decodeIfPresent(String.self, forKey: .publishedRunId)
        createdAt = try c.decode(String.self, forKey: .createdAt)
        updatedAt = try c.decode(String.self, forKey: .updatedAt)
        publishedAt = try c.decodeIfPresent(String.self, forKey: .publishedAt)
    }

    /// Settings change only before the round is published.
    public func checkEditable() throws(KoblingError) {
        guard status == .open else { throw .conflict("The round is \(status.rawValue); its settings no longer change.") }
    }
}

/// Which approved pitches a round takes: the ones named, or every approved pitch that has one
/// of the tags, asks for one of the roles and can work in one of the languages (an empty list
/// asks nothing).
public struct PitchSelection: Codable, Equatable, Sendable {
    public var ids: [String]?
    public var tags: [String]
    public var roles: [PersonRole]
    public var languages: [String]

    public init(ids: [String]? = nil, tags: [String] = [], roles: [PersonRole] = [], languages: [String] = []) {
        self.ids = ids
        self.tags = tags
        self.roles = roles
        self.languages = languages
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ids, forKey: .ids)
        try container.encode(tags, forKey: .tags)
        try container.encode(roles, forKey: .roles)
        try container.encode(languages, forKey: .languages)
    }
}

/// Who a round matches: everyone who consents to be matched and has a role that solves
/// (`SolverSelection.solving`), narrowed to the roles, tags and organisations named.
public struct SolverSelection: Codable, Equatable, Sendable {
    public var roles: [PersonRole]
    public var tags: [String]
    public var organisations: [String]

    public init(roles: [PersonRole] = [], tags: [String] = [], organisations: [String] = []) {
        self.roles = roles
        self.tags = tags
        self.organisations = organisations
    }

    /// The roles whose people work on pitches.
    public static let solving: [PersonRole] = [.startup, .researcher, .student, .mentor, .specialist]

    /// The roles this round matches, in the order a person's role is chosen by.
    public var matchedRoles: [PersonRole] { roles.isEmpty ? Self.solving : Self.solving.filter(roles.contains) }
}

public enum RoundKind: String, Codable, CaseIterable, Sendable {
    case pitches, mentoring
}

public enum RoundMode: String, Codable, CaseIterable, Sendable {
    case optimal, stable
}

public enum RoundStatus: String, Codable, CaseIterable, Sendable {
    /// Settings change, runs are made and adjusted.
    case open
    /// One run's proposals are out; nothing about the round changes.
    case published
}

/// An organiser's adjustment of a round: a pair always in its groups, or never.
public enum PairRule: String, Codable, CaseIterable, Sendable {
    case lock, block
}
