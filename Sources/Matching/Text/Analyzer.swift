import Foundation

/// Turns text into term ids: words in lower case (æ, ø and å are letters of their own), stop words
/// of the text's language dropped, the rest stemmed with that language's stemmer.
///
/// One analyzer serves one round: it remembers each word it has seen, so that a community of
/// 55,000 texts stems each distinct word once.
struct Analyzer {
    private(set) var terms: [String] = []
    private var termIDs: [String: Int32] = [:]
    /// Per language, each word seen to its term id, or -1 for a stop word.
    private var memo: [TextLanguage: [String: Int32]] = [:]

    /// The text's term ids, in order of appearance, with repeats.
    mutating func analyze(_ text: String, hint: TextLanguage) -> [Int32] {
        let words = Self.words(text)
        let language = TextLanguage.guess(words, hint: hint)
        var result: [Int32] = []
        result.reserveCapacity(words.count)
        for word in words {
            let id = memo[language, default: [:]][word] ?? remember(word, language: language)
            if id >= 0 { result.append(id) }
        }
        return result
    }

    private mutating func remember(_ word: String, language: TextLanguage) -> Int32 {
        let id: Int32
        if language.stopWords.contains(word) || word.unicodeScalars.count < 2 {
            id = -1
        } else {
            let stem = language.stem(word)
            if let known = termIDs[stem] {
                id = known
            } else {
                id = Int32(terms.count)
                terms.append(stem)
                termIDs[stem] = id
            }
        }
        memo[language, default: [:]][word] = id
        return id
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

    /// Analyses many texts on all cores: each worker analyses a share with its own analyzer, and
    /// the terms are then numbered in alphabetical order, so that the numbers (and every sum taken
    /// in their order) are the same whatever the number of cores.
    static func analyzeAll(_ texts: [(text: String, hint: TextLanguage)]) -> (documents: [[Int32]], terms: [String]) {
        // One share a core: each share stems the words it meets once.
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, texts.count))
        let chunkSize = (texts.count + chunks - 1) / max(chunks, 1)
        let parts = parallelMap(chunks, state: { () }) { chunk, _ in
            var analyzer = Analyzer()
            let range = (chunk * chunkSize)..<min(texts.count, (chunk + 1) * chunkSize)
            let documents = range.map { analyzer.analyze(texts[$0].text, hint: texts[$0].hint) }
            return (documents, analyzer.terms)
        }
        let terms = Set(parts.flatMap(\.1)).sorted()
        let number = Dictionary(uniqueKeysWithValues: terms.enumerated().map { ($1, Int32($0)) })
        var documents: [[Int32]] = []
        documents.reserveCapacity(texts.count)
        for (local, localTerms) in parts {
            let global = localTerms.map { number[$0]! }
            for document in local { documents.append(document.map { global[Int($0)] }) }
        }
        return (documents, terms)
    }
}
