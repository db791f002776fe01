@testable import Background
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import KoblingAPI
import KoblingCore
import Mail
import Matching
import MatchingFixtures
@testable import Storage
import Testing

/// Match rounds through the API: settings, runs in the background, locks and blocks.
@Suite struct MatchRoundTests {
    /// Two approved pitches and four people who consent to be matched, one of whom does not fit.
    struct Community: Sendable {
        let organiser: Member
        let clinician: Member
        let pitches: [String]
        /// An eye-tracking researcher, a hearing researcher, a startup doing both, and a student
        /// with nothing in common with either pitch.
        let people: [Member]
    }

    /// `smtp`: the mail goes to a real SMTP server (aiosmtpd) rather than to files.
    func withCommunity(smtp: Bool = false, _ body: @escaping @Sendable (TestApp, any TestClientProtocol, Community) async throws -> Void) async throws {
        let app = try TestApp(smtp: smtp ? try SMTPTestServer() : nil)
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            for (id, kind, da, en) in [
                ("eye-tracking", "data_modality", "Øjenstyring", "Eye tracking"), ("hearing", "clinical_domain", "Hørelse", "Hearing"),
                ("gardening", "skill", "Havearbejde", "Gardening"),
            ] {
                let made = try await client.request(.post, "/v1/tags", json: #"{"id":"\#(id)","kind":"\#(kind)","label":{"da":"\#(da)","en":"\#(en)"}}"#, as: organiser)
                #expect(made.status == .created)
            }
            let clinician = try await app.verifiedSignup(client, "lene@rigshospitalet.dk", name: "Lene Holm")
            var pitches: [String] = []
            for (title, problem, tag) in [
                ("Eye tracking for ALS patients", "Patients without speech could talk to nurses with eye tracking cameras.", "eye-tracking"),
                ("Hearing tests at home", "Hearing loss in older patients goes unnoticed; a hearing test at home would find it.", "hearing"),
            ] {
                let created = try await client.request(.post, "/v1/pitches", json: """
                    {"title":"\(title)","problem":"\(problem)","language":"en","tags":["\(tag)"],"groupSize":{"min":1,"max":2},"visibility":"public"}
                    """, as: clinician)
                #expect(created.status == .created, "\(created.text)")
                let id = try #require(try created.json()["id"] as? String)
                #expect(try await client.request(.post, "/v1/pitches/\(id)/submit", as: clinician).status == .ok)
                #expect(try await client.request(.post, "/v1/pitches/\(id)/approve", as: organiser).status == .ok)
                pitches.append(id)
            }
            var people: [Member] = []
            for (email, name, role, tags, bio) in [
                ("ali@dtu.dk", "Ali Rahimi", "researcher", ["eye-tracking"], "Eye tracking and gaze interfaces for patients."),
                ("mia@au.dk", "Mia Berg", "researcher", ["hearing"], "Audiology: hearing tests and hearing loss."),
                ("jonas@gazeit.dk", "Jonas Vinter", "startup", ["eye-tracking", "hearing"], "We build eye tracking and hearing test devices."),
                ("sofie@ku.dk", "Sofie Lund", "student", ["gardening"], "Gardening and compost."),
            ] {
                let member = try await app.verifiedSignup(client, email, name: name)
                let tagList = tags.map { "\"\($0)\"" }.joined(separator: ",")
                let edited = try await client.request(.patch, "/v1/people/\(member.personId)", json: """
                    {"roles":["\(role)"],"tags":[\(tagList)],"bio":"\(bio)","languages":["en"],"matchable":true}
                    """, as: member, contentType: "application/merge-patch+json")
                #expect(edited.status == .ok, "\(edited.text)")
                people.append(member)
            }
            try await body(app, client, Community(organiser: organiser, clinician: clinician, pitches: pitches, people: people))
        }
    }

    /// Polls a run after the job runner worked through what is due.
    func finishedRun(_ app: TestApp, _ client: any TestClientProtocol, _ location: String, as organiser: Member) async throws -> [String: Any] {
        try await app.services.jobs.runDue()
        return try await client.request(.get, location, as: organiser).json()
    }

    @Test func aRoundRunsInTheBackgroundAndExplainsItsGroups() async throws {
        try await withCommunity { app, client, community in
            let (organiser, pitches, people) = (community.organiser, community.pitches, community.people)
            let created = try await client.request(.post, "/v1/match-rounds", json: #"{"name":"Efterår 2026","capacity":1}"#, as: organiser)
            #expect(created.status == .created, "\(created.text)")
            let round = try created.json()
            let id = try #require(round["id"] as? String)
            #expect(round["status"] as? String == "open")
            #expect(round["fitFloor"] as? Double == 0.1)
            #expect(round["answerDeadline"] is NSNull)

            // Members may not see or run rounds.
            #expect(try await client.request(.get, "/v1/match-rounds/\(id)", as: people[0]).status == .forbidden)
            #expect(try await client.request(.post, "/v1/match-rounds/\(id)/runs", as: people[0]).status == .forbidden)

            let started = try await client.request(.post, "/v1/match-rounds/\(id)/runs", as: organiser)
            #expect(started.status == .accepted, "\(started.text)")
            let run = try started.json()
            #expect(run["status"] as? String == "queued")
            let location = try #require(started.headers[.location])
            #expect(location == "/v1/match-rounds/\(id)/runs/\(run["id"] as? String ?? "")")
            // One run at a time.
            let second = try await client.request(.post, "/v1/match-rounds/\(id)/runs", as: organiser)
            #expect(second.status == .conflict)

            let done = try await finishedRun(app, client, location, as: organiser)
            #expect(done["status"] as? String == "done", "\(done)")
            #expect((done["objective"] as? Int ?? 0) > 0)
            let stages = try #require(done["stages"] as? [String: Any])
            #expect(Set(stages.keys) == ["loadingSeconds", "scoringSeconds", "solvingSeconds", "storingSeconds"])
            let result = try #require(done["result"] as? [String: Any])
            let groups = try #require(result["groups"] as? [[String: Any]])
            let members = Dictionary(uniqueKeysWithValues: groups.map { group in
                (group["pitchId"] as? String ?? "", (group["members"] as? [[String: Any]] ?? []).compactMap { $0["personId"] as? String })
            })
            // Each pitch got its specialist; the startup (capacity 1) joined one of them; the
            // gardener fits neither and is told why.
            #expect(members[pitches[0]]?.contains(people[0].personId) == true)
            #expect(members[pitches[1]]?.contains(people[1].personId) == true)
            #expect(members.values.flatMap { $0 }.filter { $0 == people[2].personId }.count == 1)
            let unmatched = try #require(result["unmatchedPeople"] as? [[String: Any]])
            #expect(unmatched.contains { $0["id"] as? String == people[3].personId && $0["reason"] as? String == "noFit" })
            let first = try #require((groups.first?["members"] as? [[String: Any]])?.first)
            let factors = try #require(first["factors"] as? [String: Any])
            #expect(Set(factors.keys) == Set(Round.factors))
            let statistics = try #require(result["statistics"] as? [String: Any])
            #expect(statistics["seats"] as? Int == 4)
            #expect(statistics["emptySeats"] as? Int == 1)

            // Runs are kept; the list leaves the results out.
            let runs = try await client.request(.get, "/v1/match-rounds/\(id)/runs", as: organiser).items()
            #expect(runs.count == 1)
            #expect(runs.first?["result"] == nil)

            // The job that ran it is visible to organisers.
            let jobs = try await client.request(.get, "/v1/jobs?kind=round-run", as: organiser).items()
            #expect(jobs.map { $0["status"] as? String } == ["done"])
            #expect(try await client.request(.get, "/v1/jobs", as: people[0]).status == .forbidden)
        }
    }

    @Test func locksAndBlocksAdjustTheNextRun() async throws {
        try await withCommunity { app, client, community in
            let (organiser, pitches, people) = (community.organiser, community.pitches, community.people)
            let id = try #require(try await client.request(.post, "/v1/match-rounds", json: #"{"name":"Locks"}"#, as: organiser).json()["id"] as? String)
            // Block the eye-tracking researcher from the eye-tracking pitch; lock the startup to the hearing one.
            #expect(try await client.request(.put, "/v1/match-rounds/\(id)/blocks/\(pitches[0])/\(people[0].personId)", as: organiser).status == .noContent)
            #expect(try await client.request(.put, "/v1/match-rounds/\(id)/locks/\(pitches[1])/\(people[2].personId)", as: organiser).status == .noContent)
            // A pair is locked or blocked, not both; a lock fits the round's capacity (1).
            #expect(try await client.request(.put, "/v1/match-rounds/\(id)/locks/\(pitches[0])/\(people[0].personId)", as: organiser).status == .conflict)
            let over = try await client.request(.put, "/v1/match-rounds/\(id)/locks/\(pitches[0])/\(people[2].personId)", as: organiser)
            #expect(over.status == .unprocessableContent)
            #expect(try over.pointers() == ["/personId"])
            // The clinician wrote both pitches: never locked to them.
            let author = try await client.request(.put, "/v1/match-rounds/\(id)/locks/\(pitches[0])/\(community.clinician.personId)", as: organiser)
            #expect(author.status == .unprocessableContent)
            let rules = try await client.request(.get, "/v1/match-rounds/\(id)/rules", as: organiser).items()
            // By pitch, then person.
            #expect(rules.map { $0["rule"] as? String } == (pitches[0] < pitches[1] ? ["block", "lock"] : ["lock", "block"]))

            let started = try await client.request(.post, "/v1/match-rounds/\(id)/runs", as: organiser)
            let done = try await finishedRun(app, client, try #require(started.headers[.location]), as: organiser)
            #expect(done["status"] as? String == "done", "\(done)")
            let groups = try #require((done["result"] as? [String: Any])?["groups"] as? [[String: Any]])
            let members = Dictionary(uniqueKeysWithValues: groups.map { group in
                (group["pitchId"] as? String ?? "", group["members"] as? [[String: Any]] ?? [])
            })
            #expect(members[pitches[0]]?.contains { $0["personId"] as? String == people[0].personId } != true)
            let locked = try #require(members[pitches[1]]?.first { $0["personId"] as? String == people[2].personId })
            #expect(locked["locked"] as? Bool == true)

            // Lifting the block lets the pair back in.
            #expect(try await client.request(.delete, "/v1/match-rounds/\(id)/blocks/\(pitches[0])/\(people[0].personId)", as: organiser).status == .noContent)
            #expect(try await client.request(.get, "/v1/match-rounds/\(id)/rules", as: organiser).items().count == 1)
        }
    }

    /// The run's result is written by hand for speed; it is the JSON `JSONEncoder` writes of
    /// the same report, every key and value.
    @Test func aRunsHandWrittenResultIsTheEncodersJSON() throws {
        let community = PlantedCommunity(pitches: 30, solvers: 300, topics: 6, seed: 3)
        var input = RoundInput(pitches: community.pitches, solvers: community.solvers, tags: community.tags)
        input.locked = [PairID(pitch: "p0", solver: try #require(community.solverTopic.first { $0.value == community.pitchTopic["p0"] }?.key))]
        let result = try MatchRound.run(input)
        let report = RunReport(result, largest: Dictionary(uniqueKeysWithValues: community.pitches.map { ($0.id, $0.maxGroupSize) }))
        #expect(!report.groups.isEmpty && !report.unmatchedPeople.isEmpty)
        #expect(report.groups.contains { $0.members.contains { !$0.shared.isEmpty } })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let encoded = try JSONSerialization.jsonObject(with: try encoder.encode(report)) as? NSDictionary
        let written = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? NSDictionary
        #expect(written != nil && written == encoded)
        #expect(report.json() == String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// The writer escapes what JSON requires and copies the rest as it is.
    @Test func theJSONWriterEscapesAsTheEncoderDoes() throws {
        let values = ["plain", "", "Sønderborg – øjenstyring", "say \"hi\"", "back\\slash", "two\nlines\r\tand tab", "bell\u{07}", "a/b"]
        var writer = JSONWriter()
        writer.strings(values)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        #expect(writer.text == String(decoding: try encoder.encode(values), as: UTF8.self))
        #expect(try JSONDecoder().decode([String].self, from: Data(writer.text.utf8)) == values)
    }

    /// Numbers are written as the encoder writes them, and an array written in parts (as a
    /// run's report is, by workers of their own) holds every part's elements in order, with no
    /// part's emptiness showing.
    @Test func theJSONWriterWritesNumbersAndJoinsPartsAsTheEncoderDoes() throws {
        let integers = [0, 7, -5, 1_000_000, Int.max, Int.min]
        let doubles = [0.0, 1.0, -2.0, 0.1, 0.125, 1.0 / 3.0, 123456.789, 1e20, 5e-7]
        var writer = JSONWriter()
        writer.object { w in
            w.key("doubles"); w.array { w in for value in doubles { w.number(value) } }
            w.key("integers"); w.array { w in for value in integers { w.number(value) } }
        }
        struct Numbers: Encodable { var doubles: [Double]; var integers: [Int] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(writer.text == String(decoding: try encoder.encode(Numbers(doubles: doubles, integers: integers)), as: UTF8.self))

        let words = (0..<50).map { "w\($0)" }
        let parts = (0..<5).map { part in
            var w = JSONWriter.elements()
            // The third part writes nothing.
            if part != 2 { for word in words[(part * 10)..<(part * 10 + 10)] { w.string(word) } }
            return w
        }
        var joined = JSONWriter()
        joined.object { w in
            w.key("a"); w.array(joining: parts)
            w.key("b"); w.array(joining: [])
        }
        let expected = words.enumerated().filter { $0.offset / 10 != 2 }.map(\.element)
        #expect(joined.text == #"{"a":"# + String(decoding: try JSONEncoder().encode(expected), as: UTF8.self) + #","b":[]}"#)
    }

    /// A conflict a person declares, with a pitch or with its organisation, keeps every round
    /// from matching them to it.
    @Test func declaredConflictsOfInterestAreHonoured() async throws {
        try await withCommunity { app, client, community in
            let (organiser, pitches, people) = (community.organiser, community.pitches, community.people)
            let researcher = people[0]
            #expect(try await client.request(.put, "/v1/people/\(researcher.personId)/conflicts/\(pitches[0])", as: researcher).status == .noContent)
            #expect(try await client.request(.put, "/v1/people/\(researcher.personId)/conflicts/\(pitches[0])", as: people[1]).status == .forbidden)
            let unknown = try await client.request(.put, "/v1/people/\(researcher.personId)/conflicts/nothing", as: researcher)
            #expect(try unknown.pointers() == ["/target"])
            let listed = try await client.request(.get, "/v1/people/\(researcher.personId)/conflicts", as: researcher).items()
            #expect(listed.map { $0["target"] as? String } == [pitches[0]])
            #expect(listed.map { $0["kind"] as? String } == ["pitch"])
            #expect(try await client.request(.get, "/v1/me/export", as: researcher).json()["conflictsOfInterest"] as? [String] == [pitches[0]])

            let id = try #require(try await client.request(.post, "/v1/match-rounds", json: #"{"name":"Conflicts"}"#, as: organiser).json()["id"] as? String)
            let started = try await client.request(.post, "/v1/match-rounds/\(id)/runs", as: organiser)
            let done = try await finishedRun(app, client, try #require(started.headers[.location]), as: organiser)
            let groups = try #require((done["result"] as? [String: Any])?["groups"] as? [[String: Any]])
            let everyone = groups.flatMap { ($0["members"] as? [[String: Any]] ?? []).compactMap { $0["personId"] as? String } }
            #expect(!everyone.contains(researcher.personId), "the researcher fits nothing else, and is matched to nothing")
            #expect(everyone.contains(people[2].personId))

            // Withdrawn, the pair is back.
            #expect(try await client.request(.delete, "/v1/people/\(researcher.personId)/conflicts/\(pitches[0])", as: researcher).status == .noContent)
            let again = try await client.request(.post, "/v1/match-rounds/\(id)/runs", as: organiser)
            let redone = try await finishedRun(app, client, try #require(again.headers[.location]), as: organiser)
            let regrouped = try #require((redone["result"] as? [String: Any])?["groups"] as? [[String: Any]])
            #expect(regrouped.contains { group in
                group["pitchId"] as? String == pitches[0] && (group["members"] as? [[String: Any]] ?? []).contains { $0["personId"] as? String == researcher.personId }
            })
        }
    }

    /// A round reads its people's roles and languages byte by byte; what it reads is what the
    /// JSON decoder reads, and text it cannot read plainly goes to the decoder.
    @Test func aRoundReadsPeoplesListsAsTheDecoderDoes() throws {
        let decoder = JSONDecoder()
        for text in [#"[]"#, #"["researcher"]"#, #"["researcher","startup"]"#, #"[ "da", "en" ]"#, "[\n  \"da\",\n  \"en\"\n]",
                     #"["Sønderborg","Århus"]"#, #"["a\"b","c"]"#, #"["a\u00e6"]"#] {
            #expect(AppDatabase.strings(text, decoder) == (try decoder.decode([String].self, from: Data(text.utf8))), "\(text)")
        }
        #expect(AppDatabase.strings("not json", decoder) == [])
        #expect(AppDatabase.strings(#"["unterminated]"#, decoder) == [])
    }

    @Test func badSettingsAndARoundOverNothingAreNamed() async throws {
        try await withCommunity { app, client, community in
            let organiser = community.organiser
            let zero = try await client.request(.post, "/v1/match-rounds", json: #"{"name":"Zero","weights":{"tags":0,"text":0,"interest":0}}"#, as: organiser)
            #expect(zero.status == .unprocessableContent)
            #expect(try zero.pointers() == ["/weights"])
            let bad = try await client.request(.post, "/v1/match-rounds", json: """
                {"name":"Bad","weights":{"charm":2},"fitFloor":2,"mode":"greedy","solvers":{"roles":["clinician"]},"pitches":{"tags":["nope"]},"answerDeadline":"soon"}
                """, as: organiser)
            #expect(bad.status == .unprocessableContent)
            #expect(try Set(bad.pointers()) == ["/weights/charm", "/fitFloor", "/mode", "/solvers/roles/0", "/answerDeadline"])
            let unknownTag = try await client.request(.post, "/v1/match-rounds", json: #"{"name":"Tags","pitches":{"tags":["nope"]}}"#, as: organiser)
            #expect(try unknownTag.pointers() == ["/pitches/tags/0"])

            // A round whose selection finds no approved pitch does not run.
            let empty = try #require(try await client.request(.post, "/v1/match-rounds", json: #"{"name":"Empty","pitches":{"tags":["gardening"]}}"#, as: organiser).json()["id"] as? String)
            let none = try await client.request(.post, "/v1/match-rounds/\(empty)/runs", as: organiser)
            #expect(none.status == .unprocessableContent)
            #expect(try none.pointers() == ["/pitches"])

            // A patch changes what it names; the ETag guards it.
            let id = try #require(try await client.request(.post, "/v1/match-rounds", json: #"{"name":"Patch"}"#, as: organiser).json()["id"] as? String)
            let patched = try await client.request(.patch, "/v1/match-rounds/\(id)", json: #"{"mode":"stable","weights":{"novelty":0},"groupSize":{"max":3}}"#,
                                                   as: organiser, contentType: "application/merge-patch+json")
            #expect(patched.status == .ok, "\(patched.text)")
            #expect(try patched.json()["mode"] as? String == "stable")
            #expect(patched.headers[.eTag] == "\"v2\"")
            _ = app
        }
    }

    /// The story over HTTP, its mail through a real SMTP server: pitches submitted and approved,
    /// people verified, a round run and published once (twice, and at once, changes nothing),
    /// proposals answered, an introduction for the pair that both said yes to, a reminder,
    /// expiry at the deadline, the collaboration and its meeting, the report, and a second round
    /// that never proposes the declined pair.
    @Test func aPublishedRunProposesIntroducesAndRecordsTheCollaboration() async throws {
        try await withCommunity(smtp: true) { app, client, community in
            let (organiser, clinician, pitches, people) = (community.organiser, community.clinician, community.pitches, community.people)
            let id = try #require(try await client.request(.post, "/v1/match-rounds", json: #"{"name":"Efterår 2026"}"#, as: organiser).json()["id"] as? String)
            let started = try await client.request(.post, "/v1/match-rounds/\(id)/runs", as: organiser)
            let runId = try #require(try started.json()["id"] as? String)
            // Not before it is done, nor without a deadline.
            let early = try await client.request(.post, "/v1/match-rounds/\(id)/publish", json: #"{"runId":"\#(runId)"}"#, as: organiser)
            #expect(early.status == .unprocessableContent)
            #expect(try early.pointers() == ["/answerDeadline"])
            let deadline = Timestamp.string(app.database.clock.now() + 3 * 24 * 3600)
            #expect(try await client.request(.patch, "/v1/match-rounds/\(id)", json: #"{"answerDeadline":"\#(deadline)"}"#,
                                             as: organiser, contentType: "application/merge-patch+json").status == .ok)
            #expect(try await client.request(.post, "/v1/match-rounds/\(id)/publish", json: #"{"runId":"\#(runId)"}"#, as: organiser).status == .conflict)
            // No session before the round is published.
            #expect(try await client.request(.post, "/v1/match-rounds/\(id)/schedule", json: """
                {"slots":[{"start":"\(deadline)","end":"\(Timestamp.string(app.database.clock.now() + 4 * 24 * 3600))"}],"tables":1}
                """, as: organiser).status == .conflict)
            _ = try await finishedRun(app, client, try #require(started.headers[.location]), as: organiser)
            let mailBefore = try await app.sentMail().count

            // Published twice at once: once.
            async let first = client.request(.post, "/v1/match-rounds/\(id)/publish", json: #"{"runId":"\#(runId)"}"#, as: organiser)
            async let second = client.request(.post, "/v1/match-rounds/\(id)/publish", json: #"{"runId":"\#(runId)"}"#, as: organiser)
            let (a, b) = try await (first, second)
            #expect(a.status == .ok && b.status == .ok, "\(a.text) \(b.text)")
            let again = try await client.request(.post, "/v1/match-rounds/\(id)/publish", json: #"{"runId":"\#(runId)"}"#, as: organiser)
            #expect(try again.json()["status"] as? String == "published")
            #expect(try await client.request(.patch, "/v1/match-rounds/\(id)", json: #"{"name":"Late"}"#, as: organiser,
                                             contentType: "application/merge-patch+json").status == .conflict)
            let proposals = try await client.request(.get, "/v1/match-rounds/\(id)/proposals", as: organiser).items()
            #expect(proposals.count == 3)
            // One email a person: the three proposed and the clinician, whose two pitches are in one.
            let published = try await app.sentMail().dropFirst(mailBefore)
            #expect(published.count == 4)
            let toClinician = try #require(published.first { $0.contains("lene@rigshospitalet.dk") })
            #expect(toClinician.contains("Eye tracking for ALS patients") && toClinician.contains("Hearing tests at home"))
            // In the hub's default language, Danish, since nobody chose another.
            let toClinicianText = QuotedPrintable.decode(toClinician)
            #expect(toClinicianText.contains("Til dit pitch") && !toClinicianText.contains("mentor"), "\(toClinicianText)")

            // Each sees their own; a stranger sees none of them.
            let mine = try await client.request(.get, "/v1/me/proposals", as: people[0]).items()
            #expect(mine.count == 1)
            let proposal = try #require(mine.first)
            let proposalId = try #require(proposal["id"] as? String)
            #expect(proposal["pitchId"] as? String == pitches[0])
            #expect(try await client.request(.get, "/v1/me/proposals", as: clinician).items().count == 3)
            #expect(try await client.request(.get, "/v1/proposals/\(proposalId)", as: people[1]).status == .notFound)
            #expect(try await client.request(.post, "/v1/proposals/\(proposalId)/answer", json: #"{"interested":true}"#, as: people[1]).status == .notFound)
            let missing = try await client.request(.post, "/v1/proposals/\(proposalId)/answer", json: #"{"note":"?"}"#, as: people[0])
            #expect(try missing.pointers() == ["/interested"])

            // Both say yes: one introduction each, with the other's address.
            let yes = try await client.request(.post, "/v1/proposals/\(proposalId)/answer", json: #"{"interested":true,"note":"Gerne!"}"#, as: people[0]).json()
            #expect(yes["status"] as? String == "open")
            let mailBeforeIntroduction = try await app.sentMail().count
            let both = try await client.request(.post, "/v1/proposals/\(proposalId)/answer", json: #"{"interested":true}"#, as: clinician).json()
            #expect(both["status"] as? String == "introduced")
            let collaborationId = try #require(both["collaborationId"] as? String)
            let introductions = try await app.sentMail().dropFirst(mailBeforeIntroduction)
            #expect(introductions.count == 2)
            // The pitch found its collaboration; the other, whose proposal is still open, did not.
            #expect(try await client.request(.get, "/v1/pitches/\(pitches[0])").json()["status"] as? String == "matched")
            #expect(try await client.request(.get, "/v1/pitches/\(pitches[1])").json()["status"] as? String == "approved")
            #expect(introductions.contains { $0.contains("To: Ali Rahimi <ali@dtu.dk>") && $0.contains("lene@rigshospitalet.dk") && $0.contains("Lene Holm") })
            #expect(introductions.contains { $0.contains("To: Lene Holm <lene@rigshospitalet.dk>") && $0.contains("ali@dtu.dk") && $0.contains("Gerne!") })
            // Final once introduced.
            #expect(try await client.request(.post, "/v1/proposals/\(proposalId)/answer", json: #"{"interested":false}"#, as: people[0]).status == .conflict)

            // The matchmaking session: the clinician is in both groups, so one slot holds one of
            // them and names her as the reason; two slots hold both, in the first two.
            let hour = Timestamp.string(app.database.clock.now() + 24 * 3600)
            let later = Timestamp.string(app.database.clock.now() + 25 * 3600)
            let end = Timestamp.string(app.database.clock.now() + 26 * 3600)
            #expect(try await client.request(.get, "/v1/match-rounds/\(id)/schedule", as: organiser).status == .notFound)
            #expect(try await client.request(.post, "/v1/match-rounds/\(id)/schedule/notify", as: organiser).status == .conflict)
            let bad = try await client.request(.post, "/v1/match-rounds/\(id)/schedule", json: """
                {"slots":[{"start":"\(hour)","end":"\(end)"},{"start":"\(later)","end":"\(end)"},{"start":"\(end)","end":"\(hour)"}],"tables":0}
                """, as: organiser)
            #expect(try bad.pointers().sorted() == ["/slots/1", "/slots/2/end", "/tables"], "\(bad.text)")
            let oneSlot = try await client.request(.post, "/v1/match-rounds/\(id)/schedule", json: """
                {"slots":[{"start":"\(hour)","end":"\(later)"}],"tables":2}
                """, as: organiser).json()
            let left = try #require(oneSlot["unplaced"] as? [[String: Any]])
            #expect(left.count == 1)
            #expect((left.first?["reason"] as? String)?.contains("Lene Holm is in another group") == true, "\(left)")
            #expect(try await client.request(.post, "/v1/match-rounds/\(id)/schedule", json: "{\"tables\":2}", as: people[0]).status == .forbidden)
            let planned = try await client.request(.post, "/v1/match-rounds/\(id)/schedule", json: """
                {"slots":[{"start":"\(later)","end":"\(end)"},{"start":"\(hour)","end":"\(later)"},{"start":"\(end)","end":"\(Timestamp.string(app.database.clock.now() + 27 * 3600))"}],"tables":2}
                """, as: organiser).json()
            #expect(planned["slotsUsed"] as? Int == 2)
            #expect(planned["optimal"] as? Bool == true)
            #expect((planned["unplaced"] as? [Any])?.isEmpty == true)
            let slots = try #require(planned["slots"] as? [[String: Any]])
            #expect(slots.map { $0["start"] as? String } == [hour, later, end], "slots in time order")
            #expect(slots.map { ($0["meetings"] as? [Any])?.count } == [1, 1, 0])
            #expect(try await client.request(.get, "/v1/match-rounds/\(id)/schedule", as: organiser).json()["createdAt"] as? String == planned["createdAt"] as? String)
            #expect(try await client.request(.get, "/v1/match-rounds/\(id)/schedule", as: people[0]).status == .forbidden)
            // Each person sees only their own meetings: the clinician both, in time order.
            let alisMeetings = try await client.request(.get, "/v1/me/schedule", as: people[0]).items()
            #expect(alisMeetings.map { $0["pitchId"] as? String } == [pitches[0]])
            #expect((alisMeetings.first?["people"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Lene Holm", "Ali Rahimi"])
            #expect(try await client.request(.get, "/v1/me/schedule", as: people[1]).items().map { $0["pitchId"] as? String } == [pitches[1]])
            let lenes = try await client.request(.get, "/v1/me/schedule", as: clinician).items()
            #expect(lenes.count == 2)
            #expect(lenes.compactMap { $0["start"] as? String } == lenes.compactMap { $0["start"] as? String }.sorted())
            #expect(try await client.request(.get, "/v1/me/schedule", as: people[3]).items().isEmpty)
            #expect(try await client.request(.get, "/v1/me/schedule").status == .unauthorized)

            // Each of the four in the session is emailed their meetings once; planned again with the
            // same meetings, nobody is written to again.
            #expect(try await client.request(.post, "/v1/match-rounds/\(id)/schedule/notify", as: people[0]).status == .forbidden)
            let beforeNotice = try await app.sentMail().count
            let notified = try await client.request(.post, "/v1/match-rounds/\(id)/schedule/notify", as: organiser)
            #expect(notified.status == .ok, "\(notified.text)")
            #expect(try notified.json()["queued"] as? Int == 4)
            let told = try await app.sentMail().dropFirst(beforeNotice).map(QuotedPrintable.decode)
            #expect(told.count == 4)
            let toLene = try #require(told.first { $0.contains("lene@rigshospitalet.dk") })
            #expect(toLene.contains("Dine møder ved") && toLene.contains("Eye tracking for ALS patients") && toLene.contains("Hearing tests at home"), "\(toLene)")
            #expect(toLene.contains("\(NoticeMail.readable(hour).dropLast(4))–\(NoticeMail.readable(later).dropFirst(11))"), "\(toLene)")
            #expect(told.contains { $0.contains("ali@dtu.dk") && $0.contains(": Eye tracking for ALS patients, sammen med Lene Holm") && $0.contains(", bord ") }, "\(told)")
            #expect(try await client.request(.post, "/v1/match-rounds/\(id)/schedule/notify", as: organiser).json()["queued"] as? Int == 0)
            _ = try await client.request(.post, "/v1/match-rounds/\(id)/schedule", json: """
                {"slots":[{"start":"\(hour)","end":"\(later)"},{"start":"\(later)","end":"\(end)"}],"tables":2}
                """, as: organiser)
            #expect(try await client.request(.post, "/v1/match-rounds/\(id)/schedule/notify", as: organiser).json()["queued"] as? Int == 0)
            #expect(try await app.sentMail().count == beforeNotice + 4)

            // The hearing researcher says no thanks.
            let hearing = try #require(try await client.request(.get, "/v1/me/proposals", as: people[1]).items().first)
            let declined = try await client.request(.post, "/v1/proposals/\(hearing["id"] as? String ?? "")/answer", json: #"{"interested":false}"#, as: people[1]).json()
            #expect(declined["status"] as? String == "declined")

            // A day before the deadline, one reminder to each who has not answered: the startup
            // and the clinician (for the startup). Running the job again sends none.
            let beforeReminder = try await app.sentMail().count
            app.time.advance(by: 2 * 24 * 3600 + 60)
            try await app.services.jobs.runDue()
            let reminders = try await app.sentMail().dropFirst(beforeReminder)
            #expect(reminders.count == 2)
            #expect(reminders.contains { $0.contains("jonas@gazeit.dk") })
            try await app.services.jobs.runDue()
            #expect(try await app.sentMail().count == beforeReminder + 2)

            // At the deadline, what is open expires, and answers are final.
            app.time.advance(by: 24 * 3600)
            try await app.services.jobs.runDue()
            let startup = try #require(try await client.request(.get, "/v1/me/proposals", as: people[2]).items().first)
            #expect(startup["status"] as? String == "expired")
            #expect(try await client.request(.post, "/v1/proposals/\(startup["id"] as? String ?? "")/answer", json: #"{"interested":true}"#, as: people[2]).status == .conflict)

            // The collaboration: the two sides see it, others do not; its meeting was held.
            #expect(try await client.request(.get, "/v1/collaborations", as: people[0]).items().count == 1)
            #expect(try await client.request(.get, "/v1/collaborations", as: people[1]).items().isEmpty)
            #expect(try await client.request(.get, "/v1/collaborations/\(collaborationId)", as: people[1]).status == .notFound)
            let active = try await client.request(.patch, "/v1/collaborations/\(collaborationId)", json: #"{"status":"active","outcomeNote":"Pilot i foråret."}"#,
                                                  as: clinician, contentType: "application/merge-patch+json")
            #expect(try active.json()["status"] as? String == "active")
            let held = try await client.request(.post, "/v1/collaborations/\(collaborationId)/meeting", json: #"{"outcome":"held"}"#, as: people[0]).json()
            #expect(held["personMeeting"] as? String == "held")
            // Both are in the researcher's export; the clinician's holds all three proposals.
            let export = try await client.request(.get, "/v1/me/export", as: people[0]).json()
            #expect((export["proposals"] as? [[String: Any]])?.map { $0["id"] as? String } == [proposalId])
            #expect((export["collaborations"] as? [[String: Any]])?.map { $0["id"] as? String } == [collaborationId])
            #expect((export["meetings"] as? [[String: Any]])?.map { $0["pitchId"] as? String } == [pitches[0]])
            #expect((try await client.request(.get, "/v1/me/export", as: clinician).json()["proposals"] as? [Any])?.count == 3)

            let report = try await client.request(.get, "/v1/match-rounds/\(id)/report", as: organiser).json()
            #expect(report["pitchesCovered"] as? Int == 2)
            #expect(report["proposals"] as? Int == 3)
            #expect(report["introductions"] as? Int == 1)
            #expect(report["meetingsHeld"] as? Int == 1)
            let answers = try #require(report["answers"] as? [String: Any])
            #expect(answers["interested"] as? Int == 2)
            #expect(answers["notInterested"] as? Int == 1)
            #expect(answers["expired"] as? Int == 2)
            #expect((report["collaborations"] as? [String: Any])?["active"] as? Int == 1)

            // A later round never proposes the declined pair.
            let next = try #require(try await client.request(.post, "/v1/match-rounds", json: #"{"name":"Vinter"}"#, as: organiser).json()["id"] as? String)
            let nextRun = try await client.request(.post, "/v1/match-rounds/\(next)/runs", as: organiser)
            let done = try await finishedRun(app, client, try #require(nextRun.headers[.location]), as: organiser)
            let groups = try #require((done["result"] as? [String: Any])?["groups"] as? [[String: Any]])
            // The matched pitch is not in it; the hearing pitch gets the startup, whose proposal
            // expired, but not the researcher who said no.
            #expect(groups.map { $0["pitchId"] as? String } == [pitches[1]])
            let hearingGroup = try #require(groups.first { $0["pitchId"] as? String == pitches[1] })
            let hearingMembers = (hearingGroup["members"] as? [[String: Any]] ?? []).compactMap { $0["personId"] as? String }
            #expect(hearingMembers == [people[2].personId])

            // Every message went through the SMTP server, the introductions among them.
            let arrivals = try #require(try app.smtp?.arrivals())
            #expect(arrivals.count == (try await app.sentMail()).count)
            #expect(arrivals.filter { $0.envelope.to == ["ali@dtu.dk"] }.count >= 3, "verification, proposals and introduction")

            // A person erased leaves the session: their name is in nobody's schedule any more.
            #expect(try await client.request(.get, "/v1/match-rounds/\(id)/schedule", as: organiser).text.contains("Mia Berg"))
            #expect(try await client.request(.delete, "/v1/people/\(people[1].personId)", as: organiser).status == .noContent)
            #expect(!(try await client.request(.get, "/v1/match-rounds/\(id)/schedule", as: organiser).text.contains("Mia Berg")))
            let lenesNow = try await client.request(.get, "/v1/me/schedule", as: clinician).items()
            #expect(lenesNow.count == 2)
            #expect(lenesNow.allSatisfy { ($0["people"] as? [[String: Any]])?.contains { $0["name"] as? String == "Mia Berg" } == false })
        }
    }

    /// A startup asks for a mentor; a mentoring round matches mentors only, each within the
    /// mentees they take, and runs the same proposals and introductions as a round of pitches.
    @Test func aMentoringRoundMatchesMentorsToStartupsRequests() async throws {
        try await withCommunity { app, client, community in
            let (organiser, pitches, people) = (community.organiser, community.pitches, community.people)
            let startup = people[2]
            var mentors: [Member] = []
            for (email, name, capacity) in [("eva@mentor.dk", "Eva Mentor", 2), ("karl@mentor.dk", "Karl Mentor", 0)] {
                let mentor = try await app.verifiedSignup(client, email, name: name)
                let edited = try await client.request(.patch, "/v1/people/\(mentor.personId)", json: """
                    {"roles":["mentor"],"tags":["eye-tracking"],"bio":"Mentor for eye tracking startups.","languages":["en"],"matchable":true,"menteeCapacity":\(capacity)}
                    """, as: mentor, contentType: "application/merge-patch+json")
                #expect(edited.status == .ok, "\(edited.text)")
                #expect(try edited.json()["menteeCapacity"] as? Int == capacity)
                mentors.append(mentor)
            }
            let tooMany = try await client.request(.patch, "/v1/people/\(mentors[0].personId)", json: #"{"menteeCapacity":51}"#,
                                                   as: mentors[0], contentType: "application/merge-patch+json")
            #expect(try tooMany.pointers() == ["/menteeCapacity"])

            // The startup asks; bad requests are named.
            let missing = try await client.request(.post, "/v1/mentoring-requests", json: #"{"title":"Help","language":"xx","needs":["nope"]}"#, as: startup)
            #expect(try missing.pointers().sorted() == ["/language", "/text"], "\(missing.text)")
            let unknownTag = try await client.request(.post, "/v1/mentoring-requests", json: #"{"title":"Help","text":"Eye tracking","language":"en","needs":["nope"]}"#, as: startup)
            #expect(try unknownTag.pointers().first?.hasPrefix("/needs") == true, "\(unknownTag.text)")
            let created = try await client.request(.post, "/v1/mentoring-requests", json: """
                {"title":"Eye tracking hardware","text":"We need advice on eye tracking cameras for patients.","language":"en","needs":["eye-tracking"],"hoursWanted":3}
                """, as: startup)
            #expect(created.status == .created, "\(created.text)")
            let request = try created.json()
            let requestId = try #require(request["id"] as? String)
            #expect(request["status"] as? String == "open")
            #expect(request["requesterId"] as? String == startup.personId)

            // Members see it; it is no pitch.
            #expect(try await client.request(.get, "/v1/mentoring-requests", as: people[0]).items().map { $0["id"] as? String } == [requestId])
            #expect(try await client.request(.get, "/v1/mentoring-requests").status == .unauthorized)
            #expect(try await client.request(.get, "/v1/pitches", as: organiser).items().allSatisfy { $0["id"] as? String != requestId })
            #expect(try await client.request(.get, "/v1/pitches/\(requestId)", as: organiser).status == .notFound)
            #expect(try await client.request(.patch, "/v1/mentoring-requests/\(requestId)", json: #"{"hoursWanted":4}"#, as: people[0],
                                             contentType: "application/merge-patch+json").status == .forbidden)
            let changed = try await client.request(.patch, "/v1/mentoring-requests/\(requestId)", json: #"{"hoursWanted":4}"#, as: startup,
                                                   contentType: "application/merge-patch+json").json()
            #expect(changed["hoursWanted"] as? Int == 4)
            #expect(changed["status"] as? String == "open")

            // A mentoring round: the mentor who takes mentees, not the one who takes none, nor the
            // eye-tracking researcher; a pitch cannot be locked into it.
            let deadline = Timestamp.string(app.database.clock.now() + 3 * 24 * 3600)
            let round = try await client.request(.post, "/v1/match-rounds", json: """
                {"name":"Mentorer 2026","kind":"mentoring","answerDeadline":"\(deadline)"}
                """, as: organiser).json()
            #expect(round["kind"] as? String == "mentoring")
            let roundId = try #require(round["id"] as? String)
            let lock = try await client.request(.put, "/v1/match-rounds/\(roundId)/locks/\(pitches[0])/\(mentors[0].personId)", as: organiser)
            #expect(try lock.pointers() == ["/pitchId"])
            let started = try await client.request(.post, "/v1/match-rounds/\(roundId)/runs", as: organiser)
            let run = try await finishedRun(app, client, try #require(started.headers[.location]), as: organiser)
            #expect(run["status"] as? String == "done", "\(run)")
            let groups = try #require((run["result"] as? [String: Any])?["groups"] as? [[String: Any]])
            #expect(groups.map { $0["pitchId"] as? String } == [requestId])
            #expect((groups.first?["members"] as? [[String: Any]])?.map { $0["personId"] as? String } == [mentors[0].personId])

            // Published: the same opt-in and introduction; the request is matched.
            let runId = try #require(run["id"] as? String)
            let mailBefore = try await app.sentMail().count
            #expect(try await client.request(.post, "/v1/match-rounds/\(roundId)/publish", json: #"{"runId":"\#(runId)"}"#, as: organiser).status == .ok)
            // Its email speaks of mentoring: the mentor is asked as mentor, the startup about its request.
            let published = try await app.sentMail().dropFirst(mailBefore).map(QuotedPrintable.decode)
            #expect(published.count == 2)
            #expect(published.contains { $0.contains("To: Eva Mentor <eva@mentor.dk>") && $0.contains("Som mentor: Eye tracking hardware") })
            #expect(published.contains { !$0.contains("eva@mentor.dk") && $0.contains("Til din anmodning om en mentor") && !$0.contains("pitch") })
            let proposal = try #require(try await client.request(.get, "/v1/me/proposals", as: mentors[0]).items().first)
            let proposalId = try #require(proposal["id"] as? String)
            #expect(try await client.request(.get, "/v1/me/proposals", as: startup).items().map { $0["id"] as? String } == [proposalId])
            _ = try await client.request(.post, "/v1/proposals/\(proposalId)/answer", json: #"{"interested":true}"#, as: mentors[0])
            let mailBeforeIntroduction = try await app.sentMail().count
            let both = try await client.request(.post, "/v1/proposals/\(proposalId)/answer", json: #"{"interested":true}"#, as: startup).json()
            #expect(both["status"] as? String == "introduced")
            let introductions = try await app.sentMail().dropFirst(mailBeforeIntroduction).map(QuotedPrintable.decode)
            #expect(introductions.count == 2 && introductions.allSatisfy { $0.contains("sagde begge ja til et mentorforløb om") })
            #expect(try await client.request(.get, "/v1/mentoring-requests/\(requestId)", as: startup).json()["status"] as? String == "matched")
            #expect(try await client.request(.get, "/v1/collaborations", as: mentors[0]).items().count == 1)
            // Matched: no longer withdrawn, but closed.
            #expect(try await client.request(.post, "/v1/mentoring-requests/\(requestId)/withdraw", as: startup).status == .conflict)
            let closed = try await client.request(.post, "/v1/mentoring-requests/\(requestId)/close", as: startup).json()
            #expect(closed["status"] as? String == "closed")
            // The startup's export holds it among its mentoring requests, not its pitches.
            let export = try await client.request(.get, "/v1/me/export", as: startup).json()
            #expect((export["mentoringRequests"] as? [[String: Any]])?.map { $0["id"] as? String } == [requestId])
            #expect((export["pitches"] as? [Any])?.isEmpty == true)
        }
    }
}
