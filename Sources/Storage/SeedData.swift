import KoblingCore

/// The demo community in `seed/`: read from JSON, loaded by `kobling seed`.
public struct SeedData: Decodable, Sendable {
    public struct SeedPerson: Decodable, Sendable {
        public struct SeedMembership: Decodable, Sendable {
            public var organisation: String
            public var role: MembershipRole
            public var title: String?
        }

        public var id: String
        public var name: String
        public var headline: String?
        public var bio: String?
        public var roles: [PersonRole]
        public var tags: [String]
        public var languages: [String]
        public var region: String?
        public var availabilityHoursPerMonth: Int?
        public var links: [Link]?
        public var matchable: Bool?
        public var publicFields: [PersonField]?
        public var memberships: [SeedMembership]?
    }

    public struct SeedOrganisation: Decodable, Sendable {
        public var id: String
        public var kind: OrganisationKind
        public var name: String
        public var description: String?
        public var website: String?
        public var region: String?
        public var tags: [String]?
    }

    public var tags: [Tag]
    public var organisations: [SeedOrganisation]
    public var people: [SeedPerson]

    public init(tags: [Tag], organisations: [SeedOrganisation], people: [SeedPerson]) {
        self.tags = tags
        self.organisations = organisations
        self.people = people
    }
}

public struct SeedReport: Sendable, Equatable, CustomStringConvertible {
    public init() {}

    public var tags = 0
    public var organisations = 0
    public var people = 0
    public var memberships = 0

    public var description: String {
        "added \(tags) tags, \(organisations) organisations, \(people) people, \(memberships) memberships"
    }
}
