/// Applies a merge patch to a person, validating every field. Tag ids are checked against the
/// taxonomy by the caller, which knows it.
public enum PersonChanges {
    public static let fields: Set<String> = [
        "name", "headline", "bio", "roles", "tags", "languages", "region", "availabilityHoursPerMonth", "menteeCapacity",
        "links", "matchable", "publicFields",
    ]

    /// Validates a new profile (`creating`: the name is required) or a patch to an existing one.
    public static func apply(_ body: JSONValue, to person: Person, creating: Bool = false, now: String) throws(KoblingError) -> Person {
        var patch = try MergePatch(body, allowed: fields)
        var result = person
        if case .set(let name) = patch.string("name", maxLength: 200, allowEmpty: false, required: creating) { result.name = name }
        patch.string("headline", nullable: true, maxLength: 200).apply(to: &result.headline)
        patch.string("bio", nullable: true, maxLength: 10_000).apply(to: &result.bio)
        patch.string("region", nullable: true, maxLength: 100).apply(to: &result.region)
        patch.integer("availabilityHoursPerMonth", nullable: true, range: 0...744).apply(to: &result.availabilityHoursPerMonth)
        patch.integer("menteeCapacity", nullable: true, range: 0...50).apply(to: &result.menteeCapacity)
        if case .set(let roles) = patch.strings("roles", maxCount: PersonRole.allCases.count, maxLength: 40) {
            result.roles = enumValues(roles, pointer: "/roles", validator: &patch.validator)
        }
        if case .set(let fields) = patch.strings("publicFields", maxCount: PersonField.allCases.count, maxLength: 40) {
            result.publicFields = enumValues(fields, pointer: "/publicFields", validator: &patch.validator)
        }
        if case .set(let tags) = patch.strings("tags", maxCount: 50, maxLength: 80) {
            result.tags = unique(tags)
        }
        if case .set(let languages) = patch.strings("languages", maxCount: 20, maxLength: 3) {
            for (index, code) in languages.enumerated() where !LanguageCode.isValid(code) {
                patch.validator.add("/languages/\(index)", "Expected an ISO 639-1 code such as \"da\" or \"en\".")
            }
            result.languages = unique(languages)
        }
        if let links = patch.raw("links") {
            result.links = readLinks(links, validator: &patch.validator)
        }
        if case .set(let matchable) = patch.bool("matchable") {
            if !matchable {
                result.matchableSince = nil
            } else if result.matchableSince == nil {
                result.matchableSince = now
            }
        }
        try patch.validator.finish()
        if !creating && result != person {
            result.updatedAt = now
            result.version += 1
        }
        return result
    }

    static func enumValues<E: RawRepresentable<String>>(_ raw: [String], pointer: String, validator: inout Validator) -> [E]
    where E: CaseIterable {
        var values: [E] = []
        for (index, item) in raw.enumerated() {
            if let value = E(rawValue: item) {
                if !values.contains(where: { $0.rawValue == value.rawValue }) { values.append(value) }
            } else {
                let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
                validator.add("\(pointer)/\(index)", "Unknown value; expected one of \(allowed).")
            }
        }
        return values
    }

    static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    static func readLinks(_ value: JSONValue, validator: inout Validator) -> [Link] {
        guard case .array(let items) = value else {
            if value != .null { validator.add("/links", "Expected an array of {label, url}.") }
            return []
        }
        if items.count > 10 {
            validator.add("/links", "At most 10 links.")
            return []
        }
        var links: [Link] = []
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item,
                case .string(let label)? = object["label"], case .string(let url)? = object["url"],
                object.count == 2
            else {
                validator.add("/links/\(index)", "Expected an object with a label and a url.")
                continue
            }
            let trimmedLabel = label.trimmingWhitespace()
            if trimmedLabel.isEmpty || trimmedLabel.unicodeScalars.count > 100 {
                validator.add("/links/\(index)/label", "Expected 1 to 100 characters.")
            }
            if !WebAddress.isValid(url) {
                validator.add("/links/\(index)/url", "Expected an http or https address.")
            }
            links.append(Link(label: trimmedLabel, url: url))
        }
        return links
    }
}

public enum LanguageCode {
    public static func isValid(_ code: String) -> Bool {
        code.count == 2 && code.allSatisfy { $0.isASCII && $0.isLowercase && $0.isLetter }
    }
}

public enum WebAddress {
    public static func isValid(_ url: String) -> Bool {
        guard url.unicodeScalars.count <= 500, !url.contains(where: { $0.isWhitespace }) else { return false }
        let lowered = url.lowercased()
        for scheme in ["https://", "http://"] where lowered.hasPrefix(scheme) {
            let rest = lowered.dropFirst(scheme.count)
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return host.contains(".") && !host.hasPrefix(".") && !host.hasSuffix(".")
        }
        return false
    }
}
