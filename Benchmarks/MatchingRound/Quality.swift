import Foundation
import Matching
import MatchingFixtures

/// The match quality benchmark: the clinical community (`ClinicalCommunity`) in each shape, ten
/// seeds, with the seeded taxonomy, at several fit floors; for each shape and the language of the
/// pitches, the share of assigned members on their pitch's topic, seats below the floor, pitches
/// left without a group although people on their topic exist, and misplaced people.
func measureQuality(tags file: URL) throws {
    let tags = try ClinicalCommunity.tags(from: file)
    let floors = [0, 0.05, RoundSettings.standardFitFloor, 0.15, 0.2]
    print("| shape | pitches in | fit floor | on topic | below the floor | without a group | misplaced |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for shape in ClinicalCommunity.Shape.allCases {
        for floor in floors {
            let total = try MatchQuality.measure(shape, tags: tags, settings: RoundSettings(fitFloor: floor))
            for language in TextLanguage.allCases {
                let q = total[language]!
                let share = String(format: "%.2f", q.onTopicShare)
                print("| \(shape.rawValue) | \(language == .danish ? "Danish" : "English") | \(String(format: "%.2f", floor)) | "
                    + "\(q.onTopic) / \(q.assigned) (\(share)) | \(q.belowFloor) | \(q.withoutGroup) of \(q.pitches) | \(q.misplaced) |")
            }
        }
    }
}
