import Foundation

/// A tag as the matching sees it: its id, its labels (Danish and English) and its synonyms. All of
/// them name one concept, so "kræft", "Onkologi", "cancer" and "oncology" count as the same tag.
public struct MatchTag: Sendable, Equatable {
    public var id: String
    public var labels: [String]
    public var synonyms: [String]

    public init(id: String, labels: [String] = [], synonyms: [String] = []) {
        self.id = id
        self.labels = labels
        self.synonyms = synonyms
    }
}

/// Maps every name of a tag to one concept number. A name that no tag has becomes a concept of its
/// own, so that free-form tags still match themselves.
struct TagVocabulary {
    private var concepts: [String: Int32] = [:]
    /// Names exactly as written to their concept: the same tag is written the same way many times.
    private var written: [String: Int32] = [:]
    private(set) var conceptCount = 0
    /// Each concept's name: its tag's id, or a free tag as first written.
    private var names: [String] = []

    init(_ tags: [MatchTag]) {
        // In id order, so that concept numbers, and with them every sum over concepts, do not
        // depend on the order the tags came in.
        for tag in tags.sorted(by: { $0.id < $1.id }) {
            let concept = concepts[Self.key(tag.id)] ?? newConcept(named: tag.id)
            for name in [tag.id] + tag.labels + tag.synonyms where concepts[Self.key(name)] == nil {
                concepts[Self.key(name)] = concept
            }
        }
    }

    /// The concepts of a list of tag names, ascending and without repeats.
    mutating func concepts(of names: [String]) -> [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(names.count)
        for name in names {
            if let concept = written[name] {
                if concept >= 0 { result.append(concept) }
                continue
            }
            let key = Self.key(name)
            var concept: Int32 = -1
            if !key.isEmpty {
                concept = concepts[key] ?? newConcept(named: name)
                concepts[key] = concept
                result.append(concept)
            }
            written[name] = concept
        }
        result.sort()
        var unique: [Int32] = []
        unique.reserveCapacity(result.count)
        for concept in result where unique.last != concept { unique.append(concept) }
        return unique
    }

    /// The concept of a name already seen, without adding one.
    func known(_ name: String) -> Int32? {
        if let concept = written[name] { return concept >= 0 ? concept : nil }
        return concepts[Self.key(name)]
    }

    /// A concept's name: its tag's id, or a free tag as first written.
    func name(of concept: Int32) -> String? {
        names.indices.contains(Int(concept)) ? names[Int(concept)] : nil
    }

    private mutating func newConcept(named name: String) -> Int32 {
        names.append(name)
        conceptCount += 1
        return Int32(conceptCount - 1)
    }

    /// Names compare without case and surrounding space; "Heart disease" is "heart disease".
    static func key(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}
