import Foundation
import Matching

/// A run's result as the API shows it: the groups with each member's per-factor explanation and
/// the concepts they share with the pitch, who was left out and why, the objective, and how
/// full the groups are.
struct RunReport: Encodable {
    struct Factor: Encodable {
        var value: Double
        var weight: Double
        var share: Double
    }

    struct Shared: Encodable {
        var concept: String
        var pitchTags: [String]
        var pitchWords: [String]
        var personTags: [String]
        var personWords: [String]
    }

    struct Member: Encodable {
        var personId: String
        var role: String
        var locked: Bool
        var score: Double
        var points: Int
        var fit: Double
        var adjustment: Double
        var factors: [String: Factor]
        var shared: [Shared]
    }

    struct Group: Encodable {
        var pitchId: String
        var total: Int
        var pairPoints: Int
        var roleBonus: Int
        var members: [Member]
    }

    struct Unmatched: Encodable {
        var id: String
        var reason: String
        var detail: String
    }

    struct Statistics: Encodable {
        var pitches: Int
        var people: Int
        var candidatePairs: Int
        var groups: Int
        /// Seats in the groups formed (each group's largest size), and how many are empty.
        var seats: Int
        var emptySeats: Int
        var emptySeatShare: Double
    }

    var mode: String
    var objective: Int
    var groups: [Group]
    var unmatchedPitches: [Unmatched]
    var unmatchedPeople: [Unmatched]
    var statistics: Statistics

    init(_ result: RoundResult, largest: [String: Int]) {
        mode = result.mode.rawValue
        objective = result.objective
        groups = result.groups.map { group in
            Group(pitchId: group.pitch, total: group.total, pairPoints: group.pairPoints, roleBonus: group.roleBonus,
                  members: group.members.map(Self.member))
        }
        unmatchedPitches = result.unmatchedPitches.map { Unmatched(id: $0.pitch, reason: $0.reason.rawValue, detail: $0.detail) }
        unmatchedPeople = result.unmatchedSolvers.map { Unmatched(id: $0.solver, reason: $0.reason.rawValue, detail: $0.detail) }
        let seats = result.groups.reduce(0) { $0 + (largest[$1.pitch] ?? $1.members.count) }
        let filled = result.groups.reduce(0) { $0 + $1.members.count }
        statistics = Statistics(
            pitches: result.statistics.pitches, people: result.statistics.solvers, candidatePairs: result.statistics.candidatePairs,
            groups: result.groups.count, seats: seats, emptySeats: max(seats - filled, 0),
            emptySeatShare: seats > 0 ? Double(max(seats - filled, 0)) / Double(seats) : 0)
    }

    private static func member(_ member: RoundResult.Member) -> Member {
        let explanation = member.explanation
        return Member(
            personId: member.solver, role: member.role, locked: member.locked, score: explanation.score, points: explanation.points,
            fit: explanation.fit, adjustment: explanation.adjustment,
            factors: Dictionary(explanation.parts.map { ($0.factor.rawValue, Factor(value: $0.value, weight: $0.weight, share: $0.share)) },
                                uniquingKeysWith: { first, _ in first }),
            shared: member.shared.map {
                Shared(concept: $0.concept, pitchTags: $0.pitchTags, pitchWords: $0.pitchWords, personTags: $0.solverTags, personWords: $0.solverWords)
            })
    }

    /// The report as JSON text, keys sorted so that two runs compare.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
