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

    /// The tags' ids, in the order `Hit.tag` counts them.
    var tagIDs: [String] { tagIds }

    /// A name of a tag as stems, with the tag it names.
    struct Name: Sendable {
        var stems: [String]
        var tag: Int
    }

    private let tagIds: [String]
    /// Single-word names by stem (in either language's stemming), to their tags.
    private let words: [String: [Int]]
    /// The single-word names that can be part of a compound: those of at least `shortestPart`
    /// letters, so that an abbreviation ("ENT") is not found at the end of "patienten".
    let partWords: [String: [Int]]
    /// The same names letter by letter, so that a word's splits are tried only where a name of
    /// them begins: most words hold none, and stemming cuts only endings, so a part or its stem
    /// can be a name only where one starts.
    private let partNames: PrefixTree
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
        partWords = words.filter { $0.key.count >= Self.shortestPart }
        partNames = PrefixTree(partWords.keys)
        self.phrases = phrases
    }

    /// What reading has learnt of each word, in each language: its stem and the tags it names
    /// itself or through its parts. Texts share most of their words, so a reader of many texts
    /// keeps one (a worker each) and stems and splits each word once.
    public struct Memo: Sendable {
        fileprivate var known: [[String: Word]] = TextLanguage.allCases.map { _ in [:] }

        public init() {}
    }

    /// A word as reading knows it: its stem, the tags it names, and the names of several words
    /// that start with it.
    struct Word: Sendable {
        var stem: String
        var tags: [Int]
        var phrases: [Name]

        var namesAnything: Bool { !tags.isEmpty || !phrases.isEmpty }
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
        let slot = language == .danish ? 0 : 1
        let known = raw.map { word in
            if let entry = memo.known[slot][word] { return entry }
            let entry = self.word(word, stem: language.stem(word), language: language)
            memo.known[slot][word] = entry
            return entry
        }
        return read(words: raw, known: known)
    }

    /// The concepts in a text's words, given what each word names (`word(_:stem:language:)`).
    func read(words raw: [String], known: [Word]) -> [Finding] {
        guard known.contains(where: \.namesAnything) else { return [] }
        var found: [Int: Finding] = [:]
        func note(_ tag: Int, _ word: String) {
            found[tag, default: Finding(tagId: tagIds[tag], occurrences: 0, words: [])].occurrences += 1
            if !found[tag]!.words.contains(word) { found[tag]!.words.append(word) }
        }
        // A word inside a name of several words still counts for its own name: "lung cancer" is
        // pulmonology and cancer too.
        for position in raw.indices where known[position].namesAnything {
            // Names of several words, by their stems in a row.
            for name in known[position].phrases {
                let end = position + name.stems.count
                guard end <= known.count, known[position..<end].map(\.stem) == name.stems else { continue }
                note(name.tag, raw[position..<end].joined(separator: " "))
            }
            for tag in known[position].tags { note(tag, raw[position]) }
        }
        return found.values.sorted { ($0.occurrences, $1.tagId) > ($1.occurrences, $0.tagId) }
    }

    /// Where a text names a tag: the tag (a `tagIDs` position) and the words that name it
    /// (`start..<end` of the text's words), kept small so that a round keeps one per finding.
    struct Hit: Sendable, Equatable {
        var tag: Int32
        var start: Int32
        var end: Int32
    }

    /// Where a text's words name tags, in order: what `read(words:known:)` finds, without
    /// counting or copying the words, for indexing many texts. `named` tells, for each word of the
    /// text, where `learned` holds what it names.
    func hits(named: [Int32], learned: [Word]) -> [Hit] {
        var hits: [Hit] = []
        for position in named.indices {
            let word = learned[Int(named[position])]
            guard word.namesAnything else { continue }
            for name in word.phrases where position + name.stems.count <= named.count {
                var matches = true
                for (offset, stem) in name.stems.enumerated() where learned[Int(named[position + offset])].stem != stem {
                    matches = false
                    break
                }
                if matches { hits.append(Hit(tag: Int32(name.tag), start: Int32(position), end: Int32(position + name.stems.count))) }
            }
            for tag in word.tags { hits.append(Hit(tag: Int32(tag), start: Int32(position), end: Int32(position + 1))) }
        }
        return hits
    }

    /// What a word names, given its stem in the text's language: as written or stemmed, and, in
    /// Danish, through the parts of it as a compound ("lungekræft" is a name of its own and holds
    /// "kræft"); English writes its compounds apart.
    func word(_ word: String, stem: String, language: TextLanguage) -> Word {
        let asStem = words[stem] ?? []
        let asWritten = stem == word ? [] : words[word] ?? []
        let parts = language == .danish ? compoundParts(of: word) : []
        let tags = asWritten.isEmpty && parts.isEmpty ? asStem : Set(asStem + asWritten + parts).sorted()
        return Word(stem: stem, tags: tags, phrases: phrases[stem] ?? [])
    }

    /// The tags named by the first or last part of a compound: a known word followed by the rest
    /// ("diabetes" + "øjenscreening", with a linking s or e allowed), or the rest followed by a
    /// known word ("lunge" + "scanning" finds "scanning").
    func compoundParts(of word: String) -> [Int] {
        let letters = Array(word)
        let shortest = Self.shortestPart
        guard letters.count >= 2 * shortest, letters.count <= Self.longestCompound else { return [] }
        var tags: Set<Int> = []
        // A head, its linking letter dropped, or either's stem is the word's beginning up to
        // some length; none can be a name shorter than the shortest name the word begins with.
        let firstHead = partNames.shortestName(in: letters, from: 0)
        for split in shortest...(letters.count - shortest) {
            if let firstHead, firstHead <= split {
                let head = String(letters[..<split])
                var heads = [head]
                if let last = head.last, last == "s" || last == "e", head.count > shortest { heads.append(String(head.dropLast())) }
                for candidate in heads {
                    if let known = partWords[candidate] ?? partWords[DanishStemmer.stem(candidate)] { tags.formUnion(known) }
                }
            }
            // A tail and its stem begin where it does: a name has to begin there too.
            if partNames.shortestName(in: letters, from: split) != nil {
                let tail = String(letters[split...])
                if let known = partWords[tail] ?? partWords[DanishStemmer.stem(tail)] { tags.formUnion(known) }
            }
        }
        return tags.sorted()
    }
}

/// Words letter by letter, to tell where in a word a known word begins without cutting it.
struct PrefixTree: Sendable {
    /// Each node's children by letter; node 0 is the root.
    private var children: [[Character: Int32]] = [[:]]
    private var ends: [Bool] = [false]

    init(_ words: some Sequence<String>) {
        for word in words {
            var node = 0
            for letter in word {
                if let next = children[node][letter] {
                    node = Int(next)
                } else {
                    children.append([:])
                    ends.append(false)
                    children[node][letter] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            ends[node] = true
        }
    }

    /// The length of the shortest word of the tree that `letters` holds from `start`, if any.
    func shortestName(in letters: [Character], from start: Int) -> Int? {
        var node = 0
        var index = start
        while index < letters.count, let next = children[node][letters[index]] {
            node = Int(next)
            index += 1
            if ends[node] { return index - start }
        }
        return nil
    }
}
