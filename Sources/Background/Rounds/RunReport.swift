import Foundation
import KoblingCore
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

    /// The report as JSON text, keys sorted so that two runs compare. Written by hand
    /// (`JSONWriter`): a national round's report is tens of megabytes, which `JSONEncoder`
    /// takes about a second to write. The groups are written in parts on every core, and the
    /// people left out as a part of their own, while the groups are; the caller waits for them,
    /// so it must be a thread of its own.
    func json() -> String {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, groups.count))
        let size = (groups.count + workers - 1) / workers
        let parts = parallelMap(workers + 1, state: {}) { part, _ -> JSONWriter in
            if part == workers {
                var w = JSONWriter.elements(capacity: 1024 + unmatchedPeople.count * 128)
                for item in unmatchedPeople { Self.write(item, to: &w) }
                return w
            }
            var w = JSONWriter.elements(capacity: 1024 + size * 4096)
            for group in groups[min(part * size, groups.count)..<min((part + 1) * size, groups.count)] {
                Self.write(group, to: &w)
            }
            return w
        }
        var writer = JSONWriter(capacity: 1024 + parts.reduce(0) { $0 + $1.bytes.count })
        writer.object { w in
            w.key("groups"); w.array(joining: Array(parts.prefix(workers)))
            w.key("mode"); w.string(mode)
            w.key("objective"); w.number(objective)
            w.key("statistics")
            w.object { w in
                w.key("candidatePairs"); w.number(statistics.candidatePairs)
                w.key("emptySeatShare"); w.number(statistics.emptySeatShare)
                w.key("emptySeats"); w.number(statistics.emptySeats)
                w.key("groups"); w.number(statistics.groups)
                w.key("people"); w.number(statistics.people)
                w.key("pitches"); w.number(statistics.pitches)
                w.key("seats"); w.number(statistics.seats)
            }
            w.key("unmatchedPeople"); w.array(joining: [parts[workers]])
            w.key("unmatchedPitches"); w.array { w in for item in unmatchedPitches { Self.write(item, to: &w) } }
        }
        return writer.text
    }

    private static func write(_ group: Group, to w: inout JSONWriter) {
        w.object { w in
            w.key("members")
            w.array { w in for member in group.members { Self.write(member, to: &w) } }
            w.key("pairPoints"); w.number(group.pairPoints)
            w.key("pitchId"); w.string(group.pitchId)
            w.key("roleBonus"); w.number(group.roleBonus)
            w.key("total"); w.number(group.total)
        }
    }

    private static func write(_ member: Member, to w: inout JSONWriter) {
        w.object { w in
            w.key("adjustment"); w.number(member.adjustment)
            w.key("factors")
            w.object { w in
                for (name, factor) in member.factors.sorted(by: { $0.key < $1.key }) {
                    w.key(name)
                    w.object { w in
                        w.key("share"); w.number(factor.share)
                        w.key("value"); w.number(factor.value)
                        w.key("weight"); w.number(factor.weight)
                    }
                }
            }
            w.key("fit"); w.number(member.fit)
            w.key("locked"); w.bool(member.locked)
            w.key("personId"); w.string(member.personId)
            w.key("points"); w.number(member.points)
            w.key("role"); w.string(member.role)
            w.key("score"); w.number(member.score)
            w.key("shared")
            w.array { w in
                for shared in member.shared {
                    w.object { w in
                        w.key("concept"); w.string(shared.concept)
                        w.key("personTags"); w.strings(shared.personTags)
                        w.key("personWords"); w.strings(shared.personWords)
                        w.key("pitchTags"); w.strings(shared.pitchTags)
                        w.key("pitchWords"); w.strings(shared.pitchWords)
                    }
                }
            }
        }
    }

    private static func write(_ item: Unmatched, to w: inout JSONWriter) {
        w.object { w in
            w.key("detail"); w.string(item.detail)
            w.key("id"); w.string(item.id)
            w.key("reason"); w.string(item.reason)
        }
    }
}
