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

    /// The term id a word has in `language`, or nil for a stop word or a word never seen.
    func termID(of word: String, language: TextLanguage) -> Int32? {
        let lowered = word.lowercased()
        guard !language.stopWords.contains(lowered) else { return nil }
        return termIDs[language.stem(lowered)]
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
}
