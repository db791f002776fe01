/// The Porter stemmer for English (Porter 1980, "An algorithm for suffix stripping"):
/// "predicting", "predicted" and "predictions" all become "predict".
/// Words with letters outside a–z are returned as they are.
enum EnglishStemmer {
    static func stem(_ word: String) -> String {
        let bytes = Array(word.utf8)
        guard bytes.count > 2, bytes.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else { return word }
        var stemmer = Porter(bytes)
        stemmer.run()
        return String(decoding: stemmer.word, as: UTF8.self)
    }
}

private struct Porter {
    var word: [UInt8]
    /// The end of the stem being tested (index of its last letter).
    private var stemEnd = 0

    init(_ word: [UInt8]) { self.word = word }

    mutating func run() {
        step1ab()
        if word.count > 2 {
            step1c()
            step2()
            step3()
            step4()
            step5()
        }
    }

    private func isConsonant(_ index: Int) -> Bool {
        switch word[index] {
        case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): return false
        case UInt8(ascii: "y"): return index == 0 ? true : !isConsonant(index - 1)
        default: return true
        }
    }

    /// The number of vowel–consonant sequences in word[0...stemEnd].
    private func measure() -> Int {
        var count = 0
        var index = 0
        while true {
            if index > stemEnd { return count }
            if !isConsonant(index) { break }
            index += 1
        }
        index += 1
        while true {
            while true {
                if index > stemEnd { return count }
                if isConsonant(index) { break }
                index += 1
            }
            index += 1
            count += 1
            while true {
                if index > stemEnd { return count }
                if !isConsonant(index) { break }
                index += 1
            }
            index += 1
        }
    }

    private func vowelInStem() -> Bool {
        (0...max(stemEnd, 0)).contains { $0 <= stemEnd && !isConsonant($0) }
    }

    private func doubleConsonant(_ index: Int) -> Bool {
        index >= 1 && word[index] == word[index - 1] && isConsonant(index)
    }

    /// Consonant–vowel–consonant ending at `index`, the last not w, x or y.
    private func cvc(_ index: Int) -> Bool {
        guard index >= 2, isConsonant(index), !isConsonant(index - 1), isConsonant(index - 2) else { return false }
        let last = word[index]
        return last != UInt8(ascii: "w") && last != UInt8(ascii: "x") && last != UInt8(ascii: "y")
    }

    /// Whether the word ends with `suffix`; if so the stem ends just before it.
    private mutating func ends(_ suffix: String) -> Bool {
        let tail = Array(suffix.utf8)
        guard tail.count <= word.count, word.suffix(tail.count).elementsEqual(tail) else { return false }
        stemEnd = word.count - tail.count - 1
        return true
    }

    private mutating func setTo(_ replacement: String) {
        word.removeSubrange((stemEnd + 1)...)
        word.append(contentsOf: replacement.utf8)
    }

    private mutating func replace(_ replacement: String) {
        if measure() > 0 { setTo(replacement) }
    }

    private mutating func step1ab() {
        if word.last == UInt8(ascii: "s") {
            if ends("sses") { word.removeLast(2) }
            else if ends("ies") { setTo("i") }
            else if word.count >= 2, word[word.count - 2] != UInt8(ascii: "s") { word.removeLast() }
        }
        if ends("eed") {
            if measure() > 0 { word.removeLast() }
        } else if (ends("ed") || ends("ing")) && vowelInStem() {
            word.removeSubrange((stemEnd + 1)...)
            if ends("at") { setTo("ate") }
            else if ends("bl") { setTo("ble") }
            else if ends("iz") { setTo("ize") }
            else if doubleConsonant(word.count - 1) {
                let last = word[word.count - 1]
                if last != UInt8(ascii: "l") && last != UInt8(ascii: "s") && last != UInt8(ascii: "z") { word.removeLast() }
            } else {
                stemEnd = word.count - 1
                if measure() == 1 && cvc(word.count - 1) { word.append(UInt8(ascii: "e")) }
            }
        }
    }

    private mutating func step1c() {
        if ends("y") && vowelInStem() { word[word.count - 1] = UInt8(ascii: "i") }
    }

    private static let step2Rules: [(String, String)] = longestFirst([
        ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
        ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
        ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
        ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
        ("logi", "log"),
    ])

    private static let step3Rules: [(String, String)] = longestFirst([
        ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
    ])

    private static let step4Suffixes = longestFirst([
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou",
        "ism", "ate", "iti", "ous", "ive", "ize",
    ].map { ($0, "") }).map(\.0)

    /// Porter tries the longest matching suffix of a group and stops there, applied or not.
    private static func longestFirst(_ rules: [(String, String)]) -> [(String, String)] {
        rules.sorted { $0.0.utf8.count > $1.0.utf8.count }
    }

    private mutating func applyFirst(_ rules: [(String, String)]) {
        for (suffix, replacement) in rules where ends(suffix) {
            replace(replacement)
            return
        }
    }

    private mutating func step2() { applyFirst(Self.step2Rules) }
    private mutating func step3() { applyFirst(Self.step3Rules) }

    private mutating func step4() {
        for suffix in Self.step4Suffixes where ends(suffix) {
            if suffix == "ion" {
                guard stemEnd >= 0, word[stemEnd] == UInt8(ascii: "s") || word[stemEnd] == UInt8(ascii: "t") else { return }
            }
            if measure() > 1 { word.removeSubrange((stemEnd + 1)...) }
            return
        }
    }

    private mutating func step5() {
        stemEnd = word.count - 1
        if word.last == UInt8(ascii: "e") {
            stemEnd = word.count - 2
            let m = measure()
            if m > 1 || (m == 1 && !cvc(word.count - 2)) { word.removeLast() }
        }
        stemEnd = word.count - 1
        if word.last == UInt8(ascii: "l") && doubleConsonant(word.count - 1) && measure() > 1 { word.removeLast() }
    }
}
