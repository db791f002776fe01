/// What a person does in the community; one person may have several.
public enum PersonRole: String, CaseIterable, Codable, Sendable {
    case clinician, startup, researcher, student, mentor, specialist, investor
}

/// The profile fields a person may choose to show to everyone. The name is always shown;
/// everything else is private to the person and the organisers until made public.
public enum PersonField: String, CaseIterable, Codable, Sendable {
    case headline, bio, roles, tags, languages, region, availability, links
}

public struct Link: Codable, Equatable, Sendable {
    public var label: String
    public var url: String

    public init(label: String, url: String) {
        self.label = label
        self.url = url
    }
}

/// A person's profile: a member's own, or one an organiser keeps (a mentor without an account).
public struct Person: Codable, Equatable, Sendable {
    public var id: String
    public var name: String
    public var headline: String?
    public var bio: String?
    public var roles: [PersonRole]
    public var tags: [String]
    public var languages: [String]
    public var region: String?
    public var availabilityHoursPerMonth: Int?
    /// How many startups a mentor takes on at once in mentoring rounds (0: none now); unset, the
    /// round's capacity holds.
    public var menteeCapacity: Int?
    public var links: [Link]
    /// Consent to be matched to pitches; nil when not given.
    public var matchableSince: String?
    public var publicFields: [PersonField]
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    public static let defaultPublicFields: [PersonField] = [.headline, .roles, .tags, .languages, .region]

    public init(
        id: String, name: String, headline: String? = nil, bio: String? = nil, roles: [PersonRole] = [],
        tags: [String] = [], languages: [String] = [], region: String? = nil, availabilityHoursPerMonth: Int? = nil,
        links: [Link] = [], matchableSince: String? = nil, publicFields: [PersonField] = Person.defaultPublicFields,
        createdAt: String, updatedAt: String, version: Int = 1, menteeCapacity: Int? = nil
    ) {
        self.menteeCapacity = menteeCapacity
        self.id = id
        self.name = name
        self.headline = headline
        self.bio = bio
        self.roles = roles
        self.tags = tags
        self.languages = languages
        self.region = region
        self.availabilityHoursPerMonth = availabilityHoursPerMonth
        self.links = links
        self.matchableSince = matchableSince
        self.publicFields = publicFields
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    public func isPublic(_ field: PersonField) -> Bool {
        publicFields.contains(field)
    }
}
