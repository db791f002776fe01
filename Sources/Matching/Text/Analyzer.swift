import Foundation

/// Turns text into term ids: words in lower case (æ, ø and å are letters of their own), stop words
/// of the text's language dropped, the rest stemmed with that language's stemmer.
///
/// One analyzer serves one round: it remembers each word it has seen, so that a community of
/// 55,000 texts stems each distinct word once.
struct Analyzer {
    private(set) var terms: [String] = []
    private var termIDs: [String: Int32] = [:]
    /// Each word seen, to its place in `known`: one lookup a word tells its stop words, its term
    /// and what it names for the concept reader.
    private var places: [String: Int32] = [:]
    private var known: [Known] = []
    /// Time spent learning what new words name, for the concept reader.
    private(set) var learningTime = Duration.zero

    /// A word: whether it is a Danish or an English stop word, and what it is in each language
    /// once a text in that language used it.
    private struct Known {
        var danishStop: Bool
        var englishStop: Bool
        var danish: Entry?
        var english: Entry?

        subscript(language: TextLanguage) -> Entry? {
            get { language == .danish ? danish : english }
            set { if language == .danish { danish = newValue } else { english = newValue } }
        }
    }

    /// A word in one language: its term id (-1 for a stop word), its stem, and what it names for
    /// the concept reader, once asked.
    private struct Entry {
        var term: Int32
        var stem: String?
        var word: ConceptReader.Word?
    }

    /// The text's term ids, in order of appearance, with repeats.
    mutating func analyze(_ text: String, hint: TextLanguage) -> [Int32] {
        analyze(words: Self.words(text), hint: hint, reader: nil).terms
    }

    /// A text's words analysed: its language (the one whose stop words it uses more, `hint` on a
    /// tie, as `TextLanguage.guess` tells it), its term ids, and, with a reader, what each word
    /// names for it. Each word is looked up once for all of these, and stemmed once in all.
    mutating func analyze(
        words: [String], hint: TextLanguage, reader: ConceptReader?
    ) -> (language: TextLanguage, terms: [Int32], known: [ConceptReader.Word]) {
        var slots: [Int] = []
        slots.reserveCapacity(words.count)
        var danish = 0
        var english = 0
        for word in words {
            let slot = places[word].map(Int.init) ?? learn(word)
            slots.append(slot)
            if known[slot].danishStop { danish += 1 }
            if known[slot].englishStop { english += 1 }
        }
        let language = danish == english ? hint : danish > english ? .danish : .english
        var terms: [Int32] = []
        var read: [ConceptReader.Word] = []
        terms.reserveCapacity(words.count)
        read.reserveCapacity(reader == nil ? 0 : words.count)
        for (word, slot) in zip(words, slots) {
            var entry = known[slot][language] ?? remember(word, slot: slot, language: language)
            if let reader {
                if entry.word == nil {
                    let started = ContinuousClock.now
                    entry.word = reader.word(word, stem: entry.stem ?? language.stem(word), language: language)
                    known[slot][language] = entry
                    learningTime += ContinuousClock.now - started
                }
                read.append(entry.word!)
            }
            if entry.term >= 0 { terms.append(entry.term) }
        }
        return (language, terms, read)
    }

    private mutating func learn(_ word: String) -> Int {
        known.append(Known(danishStop: StopWords.danish.contains(word), englishStop: StopWords.english.contains(word)))
        places[word] = Int32(known.count - 1)
        return known.count - 1
    }

    private mutating func remember(_ word: String, slot: Int, language: TextLanguage) -> Entry {
        var entry = Entry(term: -1)
        let stop = language == .danish ? known[slot].danishStop : known[slot].englishStop
        if !(stop || word.unicodeScalars.count < 2) {
            let stem = language.stem(word)
            entry.stem = stem
            if let known = termIDs[stem] {
                entry.term = known
            } else {
                entry.term = Int32(terms.count)
                terms.append(stem)
                termIDs[stem] = entry.term
            }
        }
        known[slot][language] = entry
        return entry
    }

    /// The words of a text in lower case: runs of letters and digits. Apostrophes and hyphens split.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                let value = scalar.value
                if value >= 0x41 && value <= 0x5A {
                    current.append(Unicode.Scalar(value + 0x20)!)
                } else if (value >= 0x61 && value <= 0x7A) || (value >= 0x30 && value <= 0x39) {
                    current.append(scalar)
                } else {
                    flush()
                }
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                if scalar.properties.isUppercase {
                    current.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                } else {
                    current.append(scalar)
                }
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// Many texts analysed on all cores, and read for concepts in the same pass.
    struct Corpus {
        /// Each text's term ids.
        var documents: [[Int32]]
        /// The terms, numbered in alphabetical order.
        var terms: [String]
        /// What the concept reader found in each text (none without a reader).
        var findings: [[ConceptReader.Finding]]
        /// Of the pass's time, the share spent reading concepts (the workers' time in the reader,
        /// learning new words included, over the number of workers).
        var readingSeconds: Double
    }

    /// Analyses many texts on all cores, and reads them for `reader`'s concepts: each text is split
    /// into words and its language told once for both. Each worker analyses a share with its own
    /// analyzer and memo, and the terms are then numbered in alphabetical order, so that the
    /// numbers (and every sum taken in their order) are the same whatever the number of cores.
    static func analyzeAll(_ texts: [(text: String, hint: TextLanguage)], reading reader: ConceptReader? = nil) -> Corpus {
        // One share a core: each share stems the words it meets once.
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, texts.count))
        let chunkSize = (texts.count + chunks - 1) / max(chunks, 1)
        let parts = parallelMap(chunks, state: { () }) { chunk, _ in
            var analyzer = Analyzer()
            var reading = Duration.zero
            let clock = ContinuousClock()
            let range = (chunk * chunkSize)..<min(texts.count, (chunk + 1) * chunkSize)
            var documents: [[Int32]] = []
            var findings: [[ConceptReader.Finding]] = []
            documents.reserveCapacity(range.count)
            findings.reserveCapacity(reader == nil ? 0 : range.count)
            for index in range {
                let words = Self.words(texts[index].text)
                let (_, terms, known) = analyzer.analyze(words: words, hint: texts[index].hint, reader: reader)
                documents.append(terms)
                if let reader {
                    let started = clock.now
                    findings.append(reader.read(words: words, known: known))
                    reading += clock.now - started
                }
            }
            return (documents, analyzer.terms, findings, (reading + analyzer.learningTime).seconds)
        }
        let terms = Set(parts.flatMap(\.1)).sorted()
        let number = Dictionary(uniqueKeysWithValues: terms.enumerated().map { ($1, Int32($0)) })
        var corpus = Corpus(documents: [], terms: terms, findings: [], readingSeconds: 0)
        corpus.documents.reserveCapacity(texts.count)
        for (local, localTerms, findings, reading) in parts {
            let global = localTerms.map { number[$0]! }
            for document in local { corpus.documents.append(document.map { global[Int($0)] }) }
            corpus.findings += findings
            corpus.readingSeconds += reading / Double(parts.count)
        }
        return corpus
    }
}
