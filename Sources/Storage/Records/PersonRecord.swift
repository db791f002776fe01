import Foundation
import GRDB
import KoblingCore

/// A person as stored: list fields as JSON text, and both renderings of the profile.
struct PersonRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "person"
    var id: String
    var accountId: String?
    var name: String
    var sortKey: String
    var headline: String?
    var bio: String?
    var roles: String
    var languages: String
    var region: String?
    var availabilityHoursPerMonth: Int?
    var menteeCapacity: Int?
    var links: String
    var matchableSince: String?
    var publicFields: String
    var createdAt: String
    var updatedAt: String
    var version: Int
    var documentFull: String
    var documentPublic: String

    init(_ person: Person, accountId: String?) {
        id = person.id
        self.accountId = accountId
        name = person.name
        sortKey = SearchText.sortKey(person.name)
        headline = person.headline
        bio = person.bio
        roles = JSONText.encode(person.roles)
        languages = JSONText.encode(person.languages)
        region = person.region
        availabilityHoursPerMonth = person.availabilityHoursPerMonth
        menteeCapacity = person.menteeCapacity
        links = JSONText.encode(person.links)
        matchableSince = person.matchableSince
        publicFields = JSONText.encode(person.publicFields)
        createdAt = person.createdAt
        updatedAt = person.updatedAt
        version = person.version
        documentFull = PersonDocument.full(person)
        documentPublic = PersonDocument.publicView(person)
    }

    func person(tags: [String]) -> Person {
        Person(
            id: id, name: name, headline: headline, bio: bio, roles: JSONText.decode(roles) ?? [], tags: tags,
            languages: JSONText.decode(languages) ?? [], region: region,
            availabilityHoursPerMonth: availabilityHoursPerMonth, links: JSONText.decode(links) ?? [],
            matchableSince: matchableSince, publicFields: JSONText.decode(publicFields) ?? [],
            createdAt: createdAt, updatedAt: updatedAt, version: version, menteeCapacity: menteeCapacity)
    }
}

enum JSONText {
    static func encode(_ value: some Encodable) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
