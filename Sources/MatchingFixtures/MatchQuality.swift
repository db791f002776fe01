import Matching

/// How good a round's groups are on a community with a planted truth, by the language its pitches
/// are written in: what the match quality benchmark reports, and what its test holds to the
/// targets.
public struct MatchQuality: Sendable, Equatable {
    /// Members assigned, and those planted on their pitch's topic.
    public var assigned = 0
    public var onTopic = 0
    /// Members below the round's fit floor (not locked), in points.
    public var belowFloor = 0
    /// Pitches left without a group although at least their minimum of people on their topic exist.
    public var withoutGroup = 0
    /// People planted on a pitch's topic seated at another pitch while their own holds someone off
    /// its topic.
    public var misplaced = 0
    public var pitches = 0

    public init() {}

    public var onTopicShare: Double { assigned == 0 ? 0 : Double(onTopic) / Double(assigned) }

    public static func + (a: Self, b: Self) -> Self {
        var sum = a
        sum.assigned += b.assigned
        sum.onTopic += b.onTopic
        sum.belowFloor += b.belowFloor
        sum.withoutGroup += b.withoutGroup
        sum.misplaced += b.misplaced
        sum.pitches += b.pitches
        return sum
    }

    /// The quality of rounds on the clinical community in `shape`, one a seed, by the language
    /// of the pitches.
    public static func measure(
        _ shape: ClinicalCommunity.Shape, tags: [MatchTag], settings: RoundSettings = RoundSettings(),
        seeds: ClosedRange<UInt64> = 1...10
    ) throws -> [TextLanguage: MatchQuality] {
        var total: [TextLanguage: MatchQuality] = [.danish: MatchQuality(), .english: MatchQuality()]
        for seed in seeds {
            let community = ClinicalCommunity(shape: shape, seed: seed)
            let result = try MatchRound.run(RoundInput(
                pitches: community.pitches, solvers: community.solvers, tags: tags, settings: settings))
            for language in TextLanguage.allCases {
                total[language] = total[language]! + of(result, on: community, settings: settings, language: language)
            }
        }
        return total
    }

    /// The quality of `result` on `community`, for the pitches in `language`.
    public static func of(_ result: RoundResult, on community: ClinicalCommunity, settings: RoundSettings,
                          language: TextLanguage) -> Self {
        var quality = Self()
        let groups = Dictionary(uniqueKeysWithValues: result.groups.map { ($0.pitch, $0) })
        // Where each planted person sits, and which pitches hold someone off their topic.
        var seatOf: [String: String] = [:]
        var holdsStranger: Set<Int> = []
        for group in result.groups {
            let topic = community.pitchTopic[group.pitch]!
            for member in group.members {
                seatOf[member.solver] = group.pitch
                if community.solverTopic[member.solver] != topic { holdsStranger.insert(topic) }
            }
        }
        for pitch in community.pitches where community.pitchLanguage[pitch.id] == language {
            quality.pitches += 1
            let topic = community.pitchTopic[pitch.id]!
            let fitting = community.solverTopic.values.filter { $0 == topic }.count
            guard let group = groups[pitch.id] else {
                if fitting >= pitch.minGroupSize { quality.withoutGroup += 1 }
                continue
            }
            for member in group.members {
                quality.assigned += 1
                if community.solverTopic[member.solver] == topic { quality.onTopic += 1 }
                // In points, as the round keeps its candidates: a score of 0.1496 is 150 points.
                let floorPoints = (settings.fitFloor * Double(settings.scale)).rounded(.up)
                if !member.locked && Double(member.explanation.points) < floorPoints { quality.belowFloor += 1 }
            }
        }
        for (solver, topic) in community.solverTopic where community.pitchLanguage["pitch-\(ClinicalCommunity.topicName(topic))"] == language {
            guard let seat = seatOf[solver], community.pitchTopic[seat] != topic else { continue }
            if holdsStranger.contains(topic) { quality.misplaced += 1 }
        }
        return quality
    }
}

extension ClinicalCommunity {
    static func topicName(_ topic: Int) -> String { ClinicalTopic.all[topic].name }
}
