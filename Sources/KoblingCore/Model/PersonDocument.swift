import Foundation

/// The JSON a person is shown as. Two renderings are kept: the full one for the person and the
/// organisers, and the public one for everyone else. They are rendered when the person changes,
/// so that reading a directory page costs no per-row encoding.
public enum PersonDocument {
    struct Full: Encodable {
        let id: String
        let name: String
        let headline: String?
        let bio: String?
        let roles: [PersonRole]
        let tags: [String]
        let languages: [String]
        let region: String?
        let availabilityHoursPerMonth: Int?
        let menteeCapacity: Int?
        let links: [Link]
        let matchable: Bool
        let matchableSince: String?
        let publicFields: [PersonField]
        let createdAt: String
        let updatedAt: String
    }

    struct Public: Encodable {
        let id: String
        let name: String
        let headline: String?
        let bio: String?
        let roles: [PersonRole]?
        let tags: [String]?
        let languages: [String]?
        let region: String?
        let availabilityHoursPerMonth: Int?
        let links: [Link]?
    }

    public static func full(_ person: Person) -> String {
        render(Full(
            id: person.id, name: person.name, headline: person.headline, bio: person.bio, roles: person.roles,
            tags: person.tags, languages: person.languages, region: person.region,
            availabilityHoursPerMonth: person.availabilityHoursPerMonth, menteeCapacity: person.menteeCapacity, links: person.links,
            matchable: person.matchableSince != nil, matchableSince: person.matchableSince,
            publicFields: person.publicFields, createdAt: person.createdAt, updatedAt: person.updatedAt))
    }

    public static func publicView(_ person: Person) -> String {
        func shown<T>(_ field: PersonField, _ value: T) -> T? { person.isPublic(field) ? value : nil }
        return render(Public(
            id: person.id, name: person.name, headline: shown(.headline, person.headline) ?? nil,
            bio: shown(.bio, person.bio) ?? nil, roles: shown(.roles, person.roles), tags: shown(.tags, person.tags),
            languages: shown(.languages, person.languages), region: shown(.region, person.region) ?? nil,
            availabilityHoursPerMonth: shown(.availability, person.availabilityHoursPerMonth) ?? nil,
            links: shown(.links, person.links)))
    }

    private static func render(_ value: some Encodable) -> String {
        JSONDocument.render(value)
    }
}
