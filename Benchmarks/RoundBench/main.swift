import Background
import Foundation
import KoblingCore
import Matching
import MatchingFixtures
import Storage

/// The round benchmark's two halves (`scripts/bench-round`).
///
///     kobling-round-bench generate --pitches 5000 --people 50000 --topics 250 --out DIR
///
/// writes a generated community with a planted truth (the matching benchmark's shape) as seed
/// files for `kobling seed`: its tags, organisations, every pitch approved with a clinician of
/// its hospital as author, and every person consenting to be matched.
///
///     kobling-round-bench engine --data-dir DIR --round ID [--runs N]
///
/// runs the engine alone N times (1 unless said) on the round's community as a run reads it
/// from the database, and prints one JSON line with each run's seconds (and of them scoring and
/// solving, split as a run's stages are), the objective, and the best of three readings of the
/// community from the database (`loadingSeconds`).
@main
struct RoundBench {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let mode = arguments.first else { fatalError("usage: generate … | engine …") }
        var options: [String: String] = [:]
        var rest = arguments.dropFirst().makeIterator()
        while let name = rest.next() {
            guard name.hasPrefix("--"), let value = rest.next() else { fatalError("expected --name value pairs") }
            options[String(name.dropFirst(2))] = value
        }
        switch mode {
        case "generate":
            let community = PlantedCommunity(
                pitches: Int(options["pitches"] ?? "300")!, solvers: Int(options["people"] ?? "3000")!,
                topics: Int(options["topics"] ?? "40")!, seed: 7)
            try write(community, to: URL(fileURLWithPath: options["out"]!))
        case "engine":
            let database = try AppDatabase.open(path: options["data-dir"]! + "/kobling.sqlite")
            let clock = ContinuousClock()
            // Reading the community as a run does, best of three (the first warms the cache).
            var loading = Double.infinity
            var community: RoundCommunity?
            for _ in 0..<3 {
                let began = clock.now
                community = try await database.roundCommunity(roundId: options["round"]!)
                loading = min(loading, (clock.now - began).seconds)
            }
            let input = RoundInput(community!)
            var runs: [String] = []
            var objective = 0
            for _ in 0..<max(1, Int(options["runs"] ?? "1")!) {
                let started = clock.now
                let result = try MatchRound.run(input)
                let seconds = (clock.now - started).seconds
                let statistics = result.statistics
                let scoring = statistics.indexSeconds + statistics.scoringSeconds
                objective = result.objective
                runs.append(#"{"engineSeconds":\#(seconds),"scoringSeconds":\#(scoring),"solvingSeconds":\#(seconds - scoring)}"#)
            }
            print(#"{"runs":[\#(runs.joined(separator: ","))],"loadingSeconds":\#(loading),"objective":\#(objective),"pitches":\#(input.pitches.count),"people":\#(input.solvers.count)}"#)
        default:
            fatalError("unknown mode \(mode)")
        }
    }

    static func write(_ community: PlantedCommunity, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A tag written as a label or a synonym becomes the tag it names.
        var idOf: [String: String] = [:]
        let tags: [[String: Any]] = community.tags.map { tag in
            for name in [tag.id] + tag.labels + tag.synonyms { idOf[name] = tag.id }
            return ["id": tag.id, "kind": "skill", "label": ["da": tag.labels[0], "en": tag.labels[1]], "synonyms": tag.synonyms]
        }
        func ids(_ names: [String]) -> [String] {
            var seen: Set<String> = []
            return names.compactMap { idOf[$0] }.filter { seen.insert($0).inserted }
        }
        let organisations = Set(community.pitches.compactMap(\.organisation) + community.solvers.compactMap(\.organisation)).sorted()
            .map { ["id": "org_\($0)", "kind": $0.hasPrefix("hospital") ? "hospital_department" : "company", "name": $0] }
        func membership(_ organisation: String?) -> [[String: Any]] {
            organisation.map { [["organisation": "org_\($0)", "role": "member"]] } ?? []
        }
        var people: [[String: Any]] = []
        var pitches: [[String: Any]] = []
        for pitch in community.pitches {
            let author = "per_author_\(pitch.id)"
            people.append(["id": author, "name": "Clinician \(pitch.id)", "roles": ["clinician"], "tags": [], "languages": ["da"],
                           "matchable": false, "memberships": membership(pitch.organisation)])
            var body: [String: Any] = [
                "id": "pit_\(pitch.id)", "author": author, "status": "approved",
                "title": String(pitch.text.prefix(60)), "problem": pitch.text, "language": pitch.textLanguage == .danish ? "da" : "en",
                "tags": ids(pitch.tags), "roles": pitch.roles.keys.sorted().map { ["role": $0] }, "languages": pitch.languages,
                "groupSize": ["min": pitch.minGroupSize, "max": pitch.maxGroupSize], "visibility": "members",
            ]
            if let effort = pitch.effortHours { body["effortHoursPerMonth"] = Int(effort) }
            if let organisation = pitch.organisation { body["organisationId"] = "org_\(organisation)" }
            pitches.append(body)
        }
        for solver in community.solvers {
            var person: [String: Any] = [
                "id": "per_\(solver.id)", "name": "Person \(solver.id)", "bio": solver.text, "roles": [solver.role],
                "tags": ids(solver.tags), "languages": solver.languages, "matchable": true, "memberships": membership(solver.organisation),
            ]
            if let hours = solver.hoursPerMonth { person["availabilityHoursPerMonth"] = Int(hours) }
            people.append(person)
        }
        for (name, value) in [("tags.json", tags), ("organisations.json", organisations), ("people.json", people), ("pitches.json", pitches)] as [(String, Any)] {
            try JSONSerialization.data(withJSONObject: value).write(to: folder.appendingPathComponent(name))
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
