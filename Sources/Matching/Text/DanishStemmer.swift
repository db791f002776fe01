/// The Snowball stemmer for Danish (snowballstem.org/algorithms/danish): "diabetespatienter" and
/// "diabetespatienten" both become "diabetespatient".
enum DanishStemmer {
    private static let vowels: Set<Character> = ["a", "e", "i", "o", "u", "y", "æ", "å", "ø"]
    private static let sEndings: Set<Character> = [
        "a", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "o", "p", "r", "t", "v", "y", "z", "å",
    ]
    /// Step 1's suffixes, longest first so that the first match is the longest.
    private static let step1Suffixes: [[Character]] = [
        "erendes", "erende", "hedens", "ethed", "erede", "heden", "heder", "endes", "ernes", "erens",
        "erets", "ered", "ende", "erne", "eren", "erer", "heds", "enes", "eres", "eret", "hed", "ene",
        "ere", "ens", "ers", "ets", "en", "er", "es", "et", "e",
    ].map(Array.init)
    private static let step3Suffixes: [[Character]] = ["elig", "løst", "lig", "els", "ig"].map(Array.init)
    private static let step2Endings: [[Character]] = ["gd", "dt", "gt", "kt"].map(Array.init)

    static func stem(_ word: String) -> String {
        var letters = Array(word)
        guard letters.count > 2 else { return word }
        let r1 = regionOne(letters)
        // Step 1: the main inflectional endings, or an s after a consonant that allows it.
        if let suffix = longest(step1Suffixes, of: letters, from: r1) {
            letters.removeLast(suffix.count)
        } else if letters.count - 1 >= r1, letters.last == "s", letters.count >= 2,
                  sEndings.contains(letters[letters.count - 2]) {
            letters.removeLast()
        }
        // Step 2: gd, dt, gt, kt lose their last letter.
        undoubleConsonantPair(&letters, r1: r1)
        // Step 3: igst becomes ig; then the derivational endings.
        if letters.count >= 4, letters.suffix(4).elementsEqual("igst") {
            letters.removeLast(2)
        }
        if let suffix = longest(step3Suffixes, of: letters, from: r1) {
            if suffix == Array("løst") {
                letters.removeLast()
            } else {
                letters.removeLast(suffix.count)
                undoubleConsonantPair(&letters, r1: r1)
            }
        }
        // Step 4: a double consonant at the end in R1 loses one.
        if letters.count >= 2, letters.count - 2 >= r1 {
            let last = letters[letters.count - 1]
            if !vowels.contains(last), last == letters[letters.count - 2], last.isLetter {
                letters.removeLast()
            }
        }
        return String(letters)
    }

    /// R1: after the first non-vowel that follows a vowel, and at least three letters in.
    private static func regionOne(_ letters: [Character]) -> Int {
        var index = 1
        while index < letters.count {
            if !vowels.contains(letters[index]) && vowels.contains(letters[index - 1]) {
                return max(index + 1, 3)
            }
            index += 1
        }
        return letters.count
    }

    private static func longest(_ suffixes: [[Character]], of letters: [Character], from r1: Int) -> [Character]? {
        suffixes.first { suffix in
            letters.count - suffix.count >= r1 && letters.suffix(suffix.count).elementsEqual(suffix)
        }
    }

    private static func undoubleConsonantPair(_ letters: inout [Character], r1: Int) {
        if letters.count - 2 >= r1, step2Endings.contains(where: { letters.suffix(2).elementsEqual($0) }) {
            letters.removeLast()
        }
    }
}
