public enum OrganisationKind: String, CaseIterable, Codable, Sendable {
    case hospitalDepartment = "hospital_department"
    case startup
    case research = "university_or_research_group"
    case company
    case publicBody = "cluster_or_public_body"
}

public enum MembershipRole: String, CaseIterable, Codable, Sendable {
    case admin, member
}

/// An organisation. Its `version` is not part of its JSON: it travels as the ETag.
public struct Organisation: Encodable, Equatable, Sendable {
    public var id: String
    public var kind: OrganisationKind
    public var name: String
    public var description: String?
    public var website: String?
    public var region: String?
    public var tags: [String]
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case id, kind, name, description, website, region, tags, createdAt, updatedAt
    }

    public init(
        id: String, kind: OrganisationKind, name: String, description: String? = nil, website: String? = nil,
        region: String? = nil, tags: [String] = [], createdAt: String, updatedAt: String, version: Int = 1
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.description = description
        self.website = website
        self.region = region
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// A person's place in an organisation, as shown on either side.
public struct Membership: Codable, Equatable, Sendable {
    public var organisationId: String
    public var organisationName: String
    public var personId: String
    public var personName: String
    public var role: MembershipRole
    public var title: String?

    public init(organisationId: String, organisationName: String, personId: String, personName: String, role: MembershipRole, title: String?) {
        self.organisationId = organisationId
        self.organisationName = organisationName
        self.personId = personId
        self.personName = personName
        self.role = role
        self.title = title
    }
}

public enum OrganisationChanges {
    public static let fields: Set<String> = ["kind", "name", "description", "website", "region", "tags"]

    /// Validates a new organisation (all required fields present) or a patch to an existing one.
    public static func apply(_ body: JSONValue, to organisation: Organisation, creating: Bool, now: String) throws(KoblingError) -> Organisation {
        var patch = try MergePatch(body, allowed: fields)
        var result = organisation
        if case .set(let raw) = patch.string("kind", maxLength: 40, required: creating) {
            if let kind = OrganisationKind(rawValue: raw) {
                result.kind = kind
            } else {
                patch.validator.add("/kind", "Unknown kind; expected one of \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
        }
        if case .set(let name) = patch.string("name", maxLength: 200, allowEmpty: false, required: creating) {
            result.name = name
        }
        patch.string("description", nullable: true, maxLength: 10_000).apply(to: &result.description)
        patch.string("region", nullable: true, maxLength: 100).apply(to: &result.region)
        switch patch.string("website", nullable: true, maxLength: 500) {
        case .set(let url):
            if WebAddress.isValid(url) { result.website = url } else { patch.validator.add("/website", "Expected an http or https address.") }
        case .remove: result.website = nil
        case .absent: break
        }
        if case .set(let tags) = patch.strings("tags", maxCount: 50, maxLength: 80) {
            result.tags = PersonChanges.unique(tags)
        }
        try patch.validator.finish()
        if !creating && result != organisation {
            result.updatedAt = now
            result.version += 1
        }
        return result
    }
}
