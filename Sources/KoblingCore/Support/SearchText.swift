/// Turns what a person types into a search box into a safe FTS5 query: each word becomes a quoted
/// prefix term, all of which must match. Operators and quotes typed by the user are never
/// interpreted, so no input can make the query fail.
public enum SearchText {
    public static func fts5Query(_ text: String, maxTerms: Int = 12) -> String? {
        let words = words(in: text).prefix(maxTerms)
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0)\"*" }.joined(separator: " ")
    }

    /// Letters and digits in runs, lowercased; everything else separates words.
    public static func words(in text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.filter { $0.count <= 64 }
    }

    /// The key lists are sorted by: lowercased, so that "ærø" and "Ærø" sit together.
    public static func sortKey(_ name: String) -> String {
        name.lowercased()
    }
}
