/// The two languages Kobling's community writes in.
public enum TextLanguage: String, Sendable, Codable, CaseIterable, Hashable {
    case danish = "da"
    case english = "en"

    /// The language of a text's words: the one whose stop words it uses more, `hint` on a tie.
    static func guess(_ words: [String], hint: TextLanguage) -> TextLanguage {
        var danish = 0
        var english = 0
        for word in words {
            if StopWords.danish.contains(word) { danish += 1 }
            if StopWords.english.contains(word) { english += 1 }
        }
        if danish == english { return hint }
        return danish > english ? .danish : .english
    }

    var stopWords: Set<String> {
        switch self {
        case .danish: StopWords.danish
        case .english: StopWords.english
        }
    }

    func stem(_ word: String) -> String {
        switch self {
        case .danish: DanishStemmer.stem(word)
        case .english: EnglishStemmer.stem(word)
        }
    }
}
