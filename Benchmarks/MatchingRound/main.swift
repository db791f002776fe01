// A whole match round on a generated community with a planted truth: index, candidate
// generation and scoring, optimal groups. Prints the time of each stage, the scoring throughput,
// the share of assigned pairs that share their planted topic, and the peak memory.
//
//     kobling-match-bench [--pitches 5000] [--solvers 50000] [--topics 250] [--k 50] [--seed 1]
//     kobling-match-bench --quality   (from the repository's root: the clinical community's
//                                     shapes, ten seeds, at several fit floors; see Quality.swift)
import Foundation
import Matching
import MatchingFixtures

func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else {
        return fallback
    }
    return value
}

if CommandLine.arguments.contains("--quality") {
    try measureQuality(tags: URL(fileURLWithPath: "seed/tags.json"))
    exit(0)
}

let pitchCount = option("pitches", 5000)
let solverCount = option("solvers", 50000)
let community = PlantedCommunity(
    pitches: pitchCount, solvers: solverCount, topics: option("topics", 250), seed: UInt64(option("seed", 1)))
var settings = RoundSettings(candidatesPerPitch: option("k", 50))
// --floor 0.1 as a score: given in thousandths (--floor-thousandths 100); the standard when absent.
if CommandLine.arguments.contains("--floor-thousandths") { settings.fitFloor = Double(option("floor-thousandths", 100)) / 1000 }
let clock = ContinuousClock()
let started = clock.now
let result = try MatchRound.run(RoundInput(pitches: community.pitches, solvers: community.solvers, tags: community.tags, settings: settings))
let elapsed = clock.now - started
let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18

var assigned = 0
var onTopic = 0
for group in result.groups {
    for member in group.members {
        assigned += 1
        if community.pitchTopic[group.pitch] == community.solverTopic[member.solver] { onTopic += 1 }
    }
}
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let statistics = result.statistics
let evaluated = statistics.pairsEstimated + statistics.pairsScored
func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
print("""
    community: \(pitchCount) pitches x \(solverCount) solvers, K = \(settings.candidatesPerPitch)
    index \(format(statistics.indexSeconds)) s (concepts read in the texts \(format(statistics.conceptSeconds)) s), candidates and scoring \(format(statistics.scoringSeconds)) s, \
    groups \(format(statistics.assignmentSeconds)) s (\(statistics.passes) passes); end to end \(format(total)) s
    scoring: \(evaluated) pairs evaluated (\(statistics.pairsEstimated) estimated from the index, \(statistics.pairsScored) scored exactly), \
    \(format(Double(evaluated) / statistics.scoringSeconds / 1e6, 1)) million pairs a second; \(statistics.candidatePairs) candidates kept
    groups: \(result.groups.count), unmatched pitches \(result.unmatchedPitches.count), objective \(result.objective)
    quality: \(onTopic) of \(assigned) assigned pairs share their planted topic (\(format(100 * Double(onTopic) / Double(max(assigned, 1)), 1))%)
    peak memory: \(usage.ru_maxrss / 1024) MiB
    """)
