/// Finds the taxonomy's concepts in free text, in Danish or English: through every name of a tag
/// (its id, its Danish and English labels and its synonyms), word by word after stemming, whole
/// phrases for names of several words ("eye tracking"), and the parts of Danish compounds
/// ("diabetesøjenscreening" holds "diabetes"), so that a Danish text and an English profile meet
/// in the same concepts.
///
/// Pure and reusable: built once from the tags, it reads any number of texts.
public struct ConceptReader: Sendable {
    /// One concept found in a text: the tag, how often a name of it occurs, and the words of the
    /// text that gave it, in order of appearance without repeats.
    public struct Finding: Sendable, Equatable {
        public var tagId: String
        public var occurrences: Int
        public var words: [String]
    }

    /// A name of a tag as stems, with the tag it names.
    private struct Name: Sendable {
        var stems: [String]
        var tag: Int
    }

    private let tagIds: [String]
    /// Single-word names by stem (in either language's stemming), to their tags.
    private let words: [String: [Int]]
    /// Names of several words by their first stem.
    private let phrases: [String: [Name]]
    /// Compound parts are at least this long, so that "be" + "handling" is no compound.
    static let shortestPart = 4
    /// Longer words are not split: no compound is this long, and splitting costs the square of
    /// a word's length.
    static let longestCompound = 60

    public init(_ tags: [MatchTag]) {
        let sorted = tags.sorted { $0.id < $1.id }
        tagIds = sorted.map(\.id)
        var words: [String: [Int]] = [:]
        var phrases: [String: [Name]] = [:]
        for (index, tag) in sorted.enumerated() {
            for name in [tag.id] + tag.labels + tag.synonyms {
                let parts = Analyzer.words(name)
                guard !parts.isEmpty else { continue }
                for language in TextLanguage.allCases {
                    let stems = parts.map(language.stem)
                    if stems.count == 1 {
                        for key in Set([stems[0], parts[0]]) where !(words[key]?.contains(index) ?? false) {
                            words[key, default: []].append(index)
                        }
                    } else if !(phrases[stems[0]]?.contains { $0.stems == stems && $0.tag == index } ?? false) {
                        phrases[stems[0], default: []].append(Name(stems: stems, tag: index))
                    }
                }
            }
        }
        self.words = words
        self.phrases = phrases
    }

    /// What reading has learnt of each word, in each language: its stem and the tags it names
    /// itself or through its parts. Texts share most of their words, so a reader of many texts
    /// keeps one (a worker each) and stems and splits each word once.
    public struct Memo: Sendable {
        fileprivate var known: [[String: (stem: String, tags: [Int])]] = TextLanguage.allCases.map { _ in [:] }

        public init() {}
    }

    /// The concepts in `text`, most occurrences first (then by tag id).
    public func read(_ text: String, language hint: TextLanguage) -> [Finding] {
        var memo = Memo()
        return read(text, language: hint, memo: &memo)
    }

    /// The concepts in `text`, learning its words into `memo` and reading the ones it knows there.
    public func read(_ text: String, language hint: TextLanguage, memo: inout Memo) -> [Finding] {
        let raw = Analyzer.words(text)
        let language = TextLanguage.guess(raw, hint: hint)
        let slot = TextLanguage.allCases.firstIndex(of: language)!
        var stems: [String] = []
        var wordTags: [[Int]] = []
        stems.reserveCapacity(raw.count)
        wordTags.reserveCapacity(raw.count)
        for word in raw {
            if let known = memo.known[slot][word] {
                stems.append(known.stem)
                wordTags.append(known.tags)
                continue
            }
            let stem = language.stem(word)
            // The word itself, as written or stemmed in the text's language, and the parts of it
            // as a compound: "lungekræft" is a name of its own and holds "kræft".
            // Compounds are split in Danish only: English writes its compounds apart.
            let direct = Set((words[stem] ?? []) + (words[word] ?? []))
            let tags = (language == .danish ? direct.union(compoundParts(of: word)) : direct).sorted()
            memo.known[slot][word] = (stem, tags)
            stems.append(stem)
            wordTags.append(tags)
        }
        var found: [Int: Finding] = [:]
        func note(_ tag: Int, _ word: String) {
            var finding = found[tag] ?? Finding(tagId: tagIds[tag], occurrences: 0, words: [])
            finding.occurrences += 1
            if !finding.words.contains(word) { finding.words.append(word) }
            found[tag] = finding
        }
        for position in raw.indices {
            let word = raw[position]
            // Names of several words, by their stems in a row.
            for name in phrases[stems[position]] ?? [] {
                let end = position + name.stems.count
                guard end <= stems.count, Array(stems[position..<end]) == name.stems else { continue }
                note(name.tag, raw[position..<end].joined(separator: " "))
            }
            for tag in wordTags[position] { note(tag, word) }
        }
        return found.values.sorted { ($0.occurrences, $1.tagId) > ($1.occurrences, $0.tagId) }
    }

    /// The tags named by the first or last part of a compound: a known word followed by the rest
    /// ("diabetes" + "øjenscreening", with a linking s or e allowed), or the rest followed by a
    /// known word ("lunge" + "scanning" finds "scanning").
    private func compoundParts(of word: String) -> [Int] {
        let letters = Array(word)
        let shortest = Self.shortestPart
        guard letters.count >= 2 * shortest, letters.count <= Self.longestCompound else { return [] }
        var tags: Set<Int> = []
        for split in shortest...(letters.count - shortest) {
            let head = String(letters[..<split])
            let tail = String(letters[split...])
            var heads = [head]
            if let last = head.last, last == "s" || last == "e", head.count > shortest { heads.append(String(head.dropLast())) }
            for candidate in heads {
                if let known = words[candidate] ?? words[DanishStemmer.stem(candidate)] { tags.formUnion(known) }
            }
            if let known = words[tail] ?? words[DanishStemmer.stem(tail)] { tags.formUnion(known) }
        }
        return tags.sorted()
    }
}
