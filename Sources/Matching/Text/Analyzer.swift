import Foundation

/// Turns text into term ids: words in lower case (æ, ø and å are letters of their own), stop words
/// of the text's language dropped, the rest stemmed with that language's stemmer.
///
/// One analyzer serves one round: it remembers each word it has seen, so that a community of
/// 55,000 texts stems each distinct word once.
struct Analyzer {
    private(set) var terms: [String] = []
    private var termIDs: [String: Int32] = [:]
    /// Each word seen, to its number: one lookup a word tells its stop words, its term and what
    /// it names for the concept reader, kept in flat arrays by number (and language: 0 Danish,
    /// 1 English) so that reading a known word copies nothing that counts references.
    private var numbers: [String: Int32] = [:]
    private var isStop: [[Bool]] = [[], []]
    /// The word's term in each language; `unknown` until a text in that language used it, -1 for
    /// a stop word.
    private var term: [[Int32]] = [[], []]
    /// What the word names for the concept reader in each language (a position in `learned`),
    /// `unknown` until asked, and whether it names anything at all.
    private var named: [[Int32]] = [[], []]
    private var namesAnything: [[Bool]] = [[], []]
    /// What words name for the concept reader (their stems too: a word that names nothing alone
    /// may be part of a name of several words).
    private(set) var learned: [ConceptReader.Word] = []
    /// Time spent learning what new words name, for the concept reader.
    private(set) var learningTime = Duration.zero

    private static let unknown = Int32.min

    /// The text's term ids, in order of appearance, with repeats.
    mutating func analyze(_ text: String, hint: TextLanguage) -> [Int32] {
        analyze(words: Self.words(text), hint: hint, reader: nil).terms
    }

    /// A text's words analysed: its language (the one whose stop words it uses more, `hint` on a
    /// tie, as `TextLanguage.guess` tells it), its term ids, and, with a reader, what each word
    /// names for it (positions in `learned`; empty when no word names anything). Each word is
    /// looked up once for all of these, and stemmed once in all.
    mutating func analyze(
        words: [String], hint: TextLanguage, reader: ConceptReader?
    ) -> (language: TextLanguage, terms: [Int32], named: [Int32]) {
        var slots: [Int] = []
        slots.reserveCapacity(words.count)
        var danish = 0
        var english = 0
        for word in words {
            let slot = numbers[word].map(Int.init) ?? learn(word)
            slots.append(slot)
            if isStop[0][slot] { danish += 1 }
            if isStop[1][slot] { english += 1 }
        }
        let language = danish == english ? hint : danish > english ? .danish : .english
        let l = language == .danish ? 0 : 1
        var terms: [Int32] = []
        var named: [Int32] = []
        var namesAnything = false
        terms.reserveCapacity(words.count)
        if reader != nil { named.reserveCapacity(words.count) }
        for (word, slot) in zip(words, slots) {
            if term[l][slot] == Self.unknown { remember(word, slot: slot, language: language, reader: reader) }
            if let reader, self.named[l][slot] == Self.unknown { name(word, slot: slot, language: language, stem: nil, reader: reader) }
            let id = term[l][slot]
            if id >= 0 { terms.append(id) }
            if reader != nil {
                named.append(self.named[l][slot])
                namesAnything = namesAnything || self.namesAnything[l][slot]
            }
        }
        return (language, terms, namesAnything ? named : [])
    }

    private mutating func learn(_ word: String) -> Int {
        let slot = isStop[0].count
        isStop[0].append(StopWords.danish.contains(word))
        isStop[1].append(StopWords.english.contains(word))
        for l in 0..<2 {
            term[l].append(Self.unknown)
            named[l].append(Self.unknown)
            namesAnything[l].append(false)
        }
        numbers[word] = Int32(slot)
        return slot
    }

    private mutating func remember(_ word: String, slot: Int, language: TextLanguage, reader: ConceptReader?) {
        let l = language == .danish ? 0 : 1
        guard !(isStop[l][slot] || word.unicodeScalars.count < 2) else {
            term[l][slot] = -1
            return
        }
        let stem = language.stem(word)
        if let known = termIDs[stem] {
            term[l][slot] = known
        } else {
            term[l][slot] = Int32(terms.count)
            terms.append(stem)
            termIDs[stem] = term[l][slot]
        }
        if let reader { name(word, slot: slot, language: language, stem: stem, reader: reader) }
    }

    /// Learns what a word names for the reader in a language.
    private mutating func name(_ word: String, slot: Int, language: TextLanguage, stem: String?, reader: ConceptReader) {
        let started = ContinuousClock.now
        let what = reader.word(word, stem: stem ?? language.stem(word), language: language)
        let l = language == .danish ? 0 : 1
        named[l][slot] = Int32(learned.count)
        namesAnything[l][slot] = what.namesAnything
        learned.append(what)
        learningTime += ContinuousClock.now - started
    }

    /// The words of a text in lower case: runs of letters and digits. Apostrophes and hyphens split.
    ///
    /// Read as UTF-8 bytes: ASCII, most of any text, is folded and copied byte by byte; other
    /// characters are decoded and asked whether they are letters or digits.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        current.reserveCapacity(32)
        func flush() {
            if !current.isEmpty {
                words.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
        }
        var text = text
        text.withUTF8 { bytes in
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 0x80 {
                    if byte >= 0x41 && byte <= 0x5A {
                        current.append(byte + 0x20)
                    } else if (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) {
                        current.append(byte)
                    } else {
                        flush()
                    }
                    index += 1
                    continue
                }
                // A scalar of two to four bytes (the string is valid UTF-8).
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for offset in 1..<length where index + offset < bytes.count {
                    value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
                }
                index += length
                guard let scalar = Unicode.Scalar(value),
                      scalar.properties.isAlphabetic || scalar.properties.numericType != nil else {
                    flush()
                    continue
                }
                if scalar.properties.isUppercase {
                    current.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
                } else {
                    UTF8.encode(scalar) { current.append($0) }
                }
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
        /// Where the concept reader found tags in each text (none without a reader).
        var hits: [[ConceptReader.Hit]]
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
            var tags: [[ConceptReader.Hit]] = []
            documents.reserveCapacity(range.count)
            tags.reserveCapacity(reader == nil ? 0 : range.count)
            for index in range {
                let words = Self.words(texts[index].text)
                let (_, terms, named) = analyzer.analyze(words: words, hint: texts[index].hint, reader: reader)
                documents.append(terms)
                if let reader {
                    let started = clock.now
                    tags.append(named.isEmpty ? [] : reader.hits(named: named, learned: analyzer.learned))
                    reading += clock.now - started
                }
            }
            return (documents, analyzer.terms, tags, (reading + analyzer.learningTime).seconds)
        }
        let terms = Set(parts.flatMap(\.1)).sorted()
        let number = Dictionary(uniqueKeysWithValues: terms.enumerated().map { ($1, Int32($0)) })
        var corpus = Corpus(documents: [], terms: terms, hits: [], readingSeconds: 0)
        corpus.documents.reserveCapacity(texts.count)
        for (local, localTerms, tags, reading) in parts {
            let global = localTerms.map { number[$0]! }
            for document in local { corpus.documents.append(document.map { global[Int($0)] }) }
            corpus.hits += tags
            corpus.readingSeconds += reading / Double(parts.count)
        }
        return corpus
    }
}
