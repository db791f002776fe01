import Foundation
import Matching
import MatchingFixtures
import Testing

/// The match quality targets on the clinical community (`ClinicalCommunity`, the seeded taxonomy),
/// in every shape and both languages, over ten seeds.
@Suite struct MatchQualityTests {
    static let tags: [MatchTag] = (try? ClinicalCommunity.tags(from: SMTPTestServer.root.appendingPathComponent("seed/tags.json"))) ?? []

    static func measure(_ shape: ClinicalCommunity.Shape, settings: RoundSettings = RoundSettings()) throws -> [TextLanguage: MatchQuality] {
        try MatchQuality.measure(shape, tags: tags, settings: settings)
    }

    @Test(arguments: ClinicalCommunity.Shape.allCases)
    func groupsFitInEveryShapeAndBothLanguages(shape: ClinicalCommunity.Shape) throws {
        try #require(!Self.tags.isEmpty, "seed/tags.json is read")
        let quality = try Self.measure(shape)
        for language in TextLanguage.allCases {
            let q = quality[language]!
            let context = Comment(rawValue: "\(shape.rawValue), pitches in \(language.rawValue): \(q.onTopic) of \(q.assigned) on topic")
            #expect(q.pitches == 40)
            #expect(q.assigned >= 2 * q.pitches, context)
            #expect(q.onTopicShare >= 0.95, context)
            #expect(q.belowFloor == 0, context)
            #expect(q.withoutGroup == 0, context)
            #expect(q.misplaced == 0, context)
            // Where topics are scarce, seats above the minimum stay empty rather than go off topic.
            if shape == .scarce { #expect(q.onTopic == q.assigned, context) }
        }
        #expect(abs(quality[.danish]!.onTopicShare - quality[.english]!.onTopicShare) <= 0.05, "Danish pitches as good as English")
    }

    /// Without the fit floor, the scarce shape shows what the floor is for: seats above the
    /// minimum go to pairs that share little with the pitch.
    @Test func withoutTheFloorScarceTopicsFillSeatsOffTopic() throws {
        try #require(!Self.tags.isEmpty)
        let quality = try Self.measure(.scarce, settings: RoundSettings(fitFloor: 0))
        let all = quality[.danish]! + quality[.english]!
        #expect(all.onTopic < all.assigned, "with no floor, some seat goes to a pair that shares little")
    }
}
