public enum TagKind: String, CaseIterable, Codable, Sendable {
    case clinicalDomain = "clinical_domain"
    case aiMethod = "ai_method"
    case dataModality = "data_modality"
    case skill
}

/// A term of the shared vocabulary, with its Danish and English labels and synonyms. Its id is a
/// readable slug (`cardiology`), stable once made.
public struct Tag: Codable, Equatable, Sendable {
    public struct Labels: Codable, Equatable, Sendable {
        public var da: String
        public var en: String

        public init(da: String, en: String) {
            self.da = da
            self.en = en
        }
    }

    public var id: String
    public var kind: TagKind
    public var label: Labels
    public var synonyms: [String]

    public init(id: String, kind: TagKind, label: Labels, synonyms: [String] = []) {
        self.id = id
        self.kind = kind
        self.label = label
        self.synonyms = synonyms
    }

    public static func isValidID(_ id: String) -> Bool {
        (2...80).contains(id.count)
            && id.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
            && !id.hasPrefix("-") && !id.hasSuffix("-")
    }
}

public enum TagChanges {
    public static let fields: Set<String> = ["id", "kind", "label", "synonyms"]

    public static func apply(_ body: JSONValue, to tag: Tag, creating: Bool) throws(KoblingError) -> Tag {
        var patch = try MergePatch(body, allowed: creating ? fields : fields.subtracting(["id"]))
        var result = tag
        if creating {
            if case .set(let id) = patch.string("id", maxLength: 80, required: true) {
                if Tag.isValidID(id) { result.id = id } else { patch.validator.add("/id", "Use 2 to 80 lowercase letters a-z, digits and hyphens.") }
            }
        }
        if case .set(let raw) = patch.string("kind", maxLength: 40, required: creating) {
            if let kind = TagKind(rawValue: raw) { result.kind = kind } else {
                patch.validator.add("/kind", "Unknown kind; expected one of \(TagKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
        }
        switch patch.raw("label") {
        case .object(let labels)?:
            for language in labels.keys.sorted() where language != "da" && language != "en" {
                patch.validator.add("/label/\(language)", "Labels are in da and en.")
            }
            for language in ["da", "en"] {
                switch labels[language] {
                case .string(let value)? where !value.trimmingWhitespace().isEmpty && value.unicodeScalars.count <= 120:
                    if language == "da" { result.label.da = value.trimmingWhitespace() } else { result.label.en = value.trimmingWhitespace() }
                case nil where !creating: break
                default: patch.validator.add("/label/\(language)", "Expected 1 to 120 characters.")
                }
            }
        case nil where !creating: break
        default: patch.validator.add("/label", "Expected an object with da and en labels.")
        }
        if case .set(let synonyms) = patch.strings("synonyms", maxCount: 30, maxLength: 120) {
            result.synonyms = PersonChanges.unique(synonyms)
        }
        try patch.validator.finish()
        return result
    }
}
