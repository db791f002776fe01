/// A clinician's problem, pitched for people to work on: in the clinician's own words and language,
/// with the roles, languages, effort and group size it asks for. Its `version` is not part of its
/// JSON: it travels as the ETag.
public struct Pitch: Codable, Equatable, Sendable {
    public var id: String
    public var title: String
    /// The problem as its author tells it.
    public var problem: String
    /// The language `problem` is written in.
    public var language: PreferredLanguage
    /// A tag id: the clinical domain the problem belongs to.
    public var clinicalDomain: String?
    public var tags: [String]
    public var roles: [RoleWanted]
    /// Data that may exist for the problem, described (never the data itself).
    public var dataDescription: String?
    /// Languages the group can work in (ISO 639-1), and whether every member must share one.
    public var languages: [String]
    public var requiresSharedLanguage: Bool
    public var effortHoursPerMonth: Int?
    public var groupSize: GroupSize
    public var visibility: PitchVisibility
    /// The person who pitched it, and the organisation (a hospital department, say) behind it.
    public var authorId: String
    public var organisationId: String?
    public var status: PitchStatus
    /// Why an organiser returned it, while it is returned.
    public var returnReason: String?
    public var createdAt: String
    public var updatedAt: String
    public var submittedAt: String?
    public var approvedAt: String?
    /// Not in the JSON: the stored row's version, set by Storage after decoding.
    public var version = 1
    /// Not in the JSON: the rounds it enters. A startup's mentoring request is kept as a pitch
    /// for a mentor (`MentoringRequest` is how it is shown), so that a mentoring round runs on
    /// the same engine, proposals and introductions; it is never listed among the pitches.
    public var kind: RoundKind = .pitches

    enum CodingKeys: String, CodingKey {
        case id, title, problem, language, clinicalDomain, tags, roles, dataDescription, languages, requiresSharedLanguage
        case effortHoursPerMonth, groupSize, visibility, authorId, organisationId, status, returnReason
        case createdAt, updatedAt, submittedAt, approvedAt
    }

    /// A draft with nothing in it yet but who writes it; `PitchChanges` fills in the rest.
    public init(id: String, authorId: String, now: String) {
        self.id = id
        title = ""
        problem = ""
        language = .en
        tags = []
        roles = []
        languages = []
        requiresSharedLanguage = false
        groupSize = GroupSize(min: 2, max: 4)
        visibility = .members
        self.authorId = authorId
        status = .draft
        createdAt = now
        updatedAt = now
        version = 1
    }

    /// Every field in the JSON, the absent ones as null, so that a client sees the whole shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(problem, forKey: .problem)
        try c.encode(language, forKey: .language)
        try c.encode(clinicalDomain, forKey: .clinicalDomain)
        try c.encode(tags, forKey: .tags)
        try c.encode(roles, forKey: .roles)
        try c.encode(dataDescription, forKey: .dataDescription)
        try c.encode(languages, forKey: .languages)
        try c.encode(requiresSharedLanguage, forKey: .requiresSharedLanguage)
        try c.encode(effortHoursPerMonth, forKey: .effortHoursPerMonth)
        try c.encode(groupSize, forKey: .groupSize)
        try c.encode(visibility, forKey: .visibility)
        try c.encode(authorId, forKey: .authorId)
        try c.encode(organisationId, forKey: .organisationId)
        try c.encode(status, forKey: .status)
        try c.encode(returnReason, forKey: .returnReason)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(submittedAt, forKey: .submittedAt)
        try c.encode(approvedAt, forKey: .approvedAt)
    }
}

/// A role a pitch asks for: how many of it, and whether a group without them is no group.
public struct RoleWanted: Codable, Equatable, Sendable {
    public var role: PersonRole
    public var count: Int
    public var required: Bool

    public init(role: PersonRole, count: Int = 1, required: Bool = false) {
        self.role = role
        self.count = count
        self.required = required
    }
}

/// The least and most people a pitch's group has, besides its author.
public struct GroupSize: Codable, Equatable, Sendable {
    public var min: Int
    public var max: Int

    public init(min: Int, max: Int) {
        self.min = min
        self.max = max
    }

    public static let limit = 20
}

/// Who sees an approved pitch: everyone, or signed-in members only.
public enum PitchVisibility: String, CaseIterable, Codable, Sendable {
    case `public`, members
}

/// A person who said they are interested in a pitch, or whom its author shortlisted, and when.
public struct PitchPerson: Codable, Equatable, Sendable {
    public var personId: String
    public var name: String
    public var since: String

    public init(personId: String, name: String, since: String) {
        self.personId = personId
        self.name = name
        self.since = since
    }
}
