import GRDB
import KoblingCore

struct OrganisationRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "organisation"
    var id: String
    var kind: String
    var name: String
    var sortKey: String
    var description: String?
    var website: String?
    var region: String?
    var createdAt: String
    var updatedAt: String
    var version: Int
    /// The organisation as JSON, rendered when it is written.
    var document: String

    init(_ organisation: Organisation) {
        document = JSONDocument.render(organisation)
        id = organisation.id
        kind = organisation.kind.rawValue
        name = organisation.name
        sortKey = SearchText.sortKey(organisation.name)
        description = organisation.description
        website = organisation.website
        region = organisation.region
        createdAt = organisation.createdAt
        updatedAt = organisation.updatedAt
        version = organisation.version
    }

    func organisation(tags: [String]) -> Organisation {
        Organisation(
            id: id, kind: OrganisationKind(rawValue: kind) ?? .company, name: name, description: description,
            website: website, region: region, tags: tags, createdAt: createdAt, updatedAt: updatedAt, version: version)
    }
}

struct TagRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "tag"
    var id: String
    var kind: String
    var labelDa: String
    var labelEn: String
    var synonyms: String
    var sortKey: String
    /// The tag as JSON, rendered when it is written.
    var document: String

    init(_ tag: Tag) {
        document = JSONDocument.render(tag)
        id = tag.id
        kind = tag.kind.rawValue
        labelDa = tag.label.da
        labelEn = tag.label.en
        synonyms = JSONText.encode(tag.synonyms)
        sortKey = SearchText.sortKey(tag.label.en)
    }

    var tag: Tag {
        Tag(id: id, kind: TagKind(rawValue: kind) ?? .skill, label: .init(da: labelDa, en: labelEn), synonyms: JSONText.decode(synonyms) ?? [])
    }
}
