import Foundation
import Matching

/// A generated community with a planted truth: every pitch and every solver is about one topic,
/// and the topic shows in their tags and their words. Half the pitches are in Danish; profiles are
/// in English or Danish. A good round puts solvers with pitches of their own topic.
///
/// Topic words are made of syllables and appear in inflected forms ("-ing", "-ed", "-s"; "-en",
/// "-erne", "-et"), so that matching on them needs the stemmers. Every text also carries words
/// common to all topics and the stop words of its language.
public struct PlantedCommunity: Sendable {
    public var pitches: [MatchPitch]
    public var solvers: [MatchSolver]
    public var tags: [MatchTag]
    public var pitchTopic: [String: Int]
    public var solverTopic: [String: Int]

    public static let roles = ["startup", "researcher", "student", "mentor", "specialist"]

    /// - Parameter danishProfiles: the share of profiles written in Danish; the rest are in English.
    public init(pitches: Int, solvers: Int, topics: Int, seed: UInt64, danishProfiles: Double = 0.4) {
        var random = SeededRandom(seed: seed)
        let vocabulary = (0..<topics).map { Topic(index: $0, random: &random) }
        tags = vocabulary.flatMap(\.tags)
        let commonEnglish = (0..<40).map { _ in Topic.word(&random, syllables: 3) }
        let commonDanish = (0..<40).map { _ in Topic.word(&random, syllables: 3, danish: true) }
        var pitchTopic: [String: Int] = [:]
        var solverTopic: [String: Int] = [:]
        self.pitches = (0..<pitches).map { index in
            let topic = index % topics
            let danish = index % 2 == 0
            let id = "p\(index)"
            pitchTopic[id] = topic
            let wanted = Array(Self.roles.shuffled(using: &random).prefix(2))
            return MatchPitch(
                id: id, organisation: "hospital-\(index % 23)",
                tags: vocabulary[topic].someTags(3, random: &random, danish: danish),
                text: vocabulary[topic].text(danish: danish, topicWords: 12, common: danish ? commonDanish : commonEnglish, random: &random),
                textLanguage: danish ? .danish : .english,
                languages: ["da", "en"],
                roles: [wanted[0]: 1, wanted[1]: 1],
                minGroupSize: 2, maxGroupSize: 4, effortHours: Double(Int.random(in: 2...10, using: &random)))
        }
        self.solvers = (0..<solvers).map { index in
            let topic = Int.random(in: 0..<topics, using: &random)
            let danish = Double.random(in: 0..<1, using: &random) < danishProfiles
            let id = "s\(index)"
            solverTopic[id] = topic
            var tags = vocabulary[topic].someTags(Int.random(in: 2...4, using: &random), random: &random, danish: false)
            // One tag from elsewhere: expertise is never quite one topic.
            tags.append(vocabulary[Int.random(in: 0..<topics, using: &random)].tags[0].id)
            return MatchSolver(
                id: id, role: Self.roles.randomElement(using: &random)!,
                organisation: Int.random(in: 0..<50, using: &random) == 0 ? "hospital-\(index % 23)" : "org-\(index % 997)",
                tags: tags,
                text: vocabulary[topic].text(danish: danish, topicWords: 10, common: danish ? commonDanish : commonEnglish, random: &random),
                textLanguage: danish ? .danish : .english,
                languages: danish ? ["da", "en"] : ["en"],
                hoursPerMonth: Double(Int.random(in: 2...20, using: &random)),
                capacity: Int.random(in: 1...2, using: &random))
        }
        self.pitchTopic = pitchTopic
        self.solverTopic = solverTopic
    }
}

private struct Topic {
    var tags: [MatchTag]
    var english: [String]
    var danish: [String]

    init(index: Int, random: inout SeededRandom) {
        tags = (0..<4).map { k in
            MatchTag(
                id: "topic\(index)-\(k)",
                labels: [Topic.word(&random, syllables: 2, danish: true), Topic.word(&random, syllables: 2)],
                synonyms: [Topic.word(&random, syllables: 3)])
        }
        english = (0..<15).map { _ in Topic.word(&random, syllables: 3) }
        danish = (0..<15).map { _ in Topic.word(&random, syllables: 3, danish: true) }
    }

    static func word(_ random: inout SeededRandom, syllables: Int, danish: Bool = false) -> String {
        let consonants = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v"]
        let vowels = danish ? ["a", "e", "i", "o", "u", "æ", "ø", "å"] : ["a", "e", "i", "o", "u"]
        return (0..<syllables).map { _ in consonants.randomElement(using: &random)! + vowels.randomElement(using: &random)! }.joined() + consonants.randomElement(using: &random)!
    }

    /// Tags named by id, or by one of their labels or synonyms, as people type them.
    func someTags(_ count: Int, random: inout SeededRandom, danish: Bool) -> [String] {
        tags.shuffled(using: &random).prefix(count).map { tag in
            switch Int.random(in: 0..<3, using: &random) {
            case 0: tag.id
            case 1: danish ? tag.labels[0] : tag.labels[1]
            default: tag.synonyms[0]
            }
        }
    }

    func text(danish: Bool, topicWords: Int, common: [String], random: inout SeededRandom) -> String {
        let stopWords = danish ? ["og", "at", "det", "er", "til", "med", "som", "på"] : ["and", "the", "of", "to", "with", "is", "for", "on"]
        let endings = danish ? ["", "en", "er", "erne", "et"] : ["", "s", "ing", "ed"]
        var words: [String] = []
        for _ in 0..<topicWords {
            words.append((danish ? self.danish : english).randomElement(using: &random)! + endings.randomElement(using: &random)!)
            words.append(stopWords.randomElement(using: &random)!)
        }
        for _ in 0..<topicWords { words.append(common.randomElement(using: &random)!) }
        return words.shuffled(using: &random).joined(separator: " ").capitalized + "."
    }
}

/// SplitMix64: small, fast and seeded, so that a community is the same on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
