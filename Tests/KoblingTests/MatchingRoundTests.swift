@testable import Matching
import MatchingFixtures
import Testing

/// Scoring, exclusions, explanations, candidates and group formation of whole rounds.
@Suite struct MatchingRoundTests {
    static let tags = [
        MatchTag(id: "oncology", labels: ["Onkologi", "Oncology"], synonyms: ["kræft", "cancer"]),
        MatchTag(id: "radiology", labels: ["Radiologi", "Radiology"], synonyms: ["billeddiagnostik"]),
        MatchTag(id: "deep-learning", labels: ["Dyb læring", "Deep learning"]),
        MatchTag(id: "nlp", labels: ["Sprogteknologi", "Natural language processing"]),
    ]

    static func run(_ pitches: [MatchPitch], _ solvers: [MatchSolver], settings: RoundSettings = RoundSettings(),
                    history: [PairID] = [], blocked: [PairID] = [], locked: [PairID] = [],
                    pitchRankings: [String: [String]] = [:], solverRankings: [String: [String]] = [:]) throws -> RoundResult {
        try MatchRound.run(RoundInput(
            pitches: pitches, solvers: solvers, tags: tags, settings: settings, history: history, blocked: blocked,
            locked: locked, pitchRankings: pitchRankings, solverRankings: solverRankings))
    }

    // MARK: Scoring

    @Test func aDanishPitchFindsAnEnglishProfileOnSharedTagsAndADanishOneOnSharedWords() throws {
        let pitch = MatchPitch(
            id: "p", tags: ["kræft", "billeddiagnostik"],
            text: "Vi vil finde kræft tidligere på CT-scanninger af lungerne.", textLanguage: .danish)
        let english = MatchSolver(
            id: "en", role: "researcher", tags: ["Oncology", "radiology"],
            text: "I build deep learning models for cancer detection in CT scans.")
        let danish = MatchSolver(
            id: "da", role: "researcher", tags: ["nlp"],
            text: "Jeg arbejder med scanningerne af lunger og tidlig opsporing.", textLanguage: .danish)
        let other = MatchSolver(id: "other", role: "student", tags: ["nlp"], text: "Speech recognition for clinical notes.")
        let result = try Self.run([pitch], [english, danish, other])
        let onTags = try #require(result.explanation(pitch: "p", solver: "en"))
        #expect(onTags[.tags]?.value == 1)
        let onWords = try #require(result.explanation(pitch: "p", solver: "da"))
        #expect(onWords[.tags]?.value == 0)
        #expect((onWords[.text]?.value ?? 0) > 0.2)
        // Sharing nothing, "other" is never a candidate.
        #expect(result.explanation(pitch: "p", solver: "other") == nil)
    }

    /// A Danish pitch without tags meets an English profile in the concepts its words name, and
    /// the member's explanation says which, and from what on either side.
    @Test func aDanishPitchInWordsOnlyMeetsAnEnglishProfileInItsConcepts() throws {
        let pitch = MatchPitch(
            id: "p", text: "Vi vil finde lungekræft tidligere med billeddiagnostik af lungerne.", textLanguage: .danish,
            minGroupSize: 1)
        let english = MatchSolver(id: "en", role: "researcher", tags: ["Radiology"], text: "Deep learning for cancer detection.")
        let other = MatchSolver(id: "other", role: "student", tags: ["nlp"], text: "Speech recognition for clinical notes.")
        let result = try Self.run([pitch], [english, other])
        let member = try #require(result.groups.first?.members.first)
        #expect(member.solver == "en")
        let shared = Dictionary(uniqueKeysWithValues: member.shared.map { ($0.concept, $0) })
        #expect(Set(shared.keys) == ["oncology", "radiology"])
        #expect(shared["oncology"]?.pitchWords == ["lungekræft"])
        #expect(shared["oncology"]?.solverWords == ["cancer"])
        #expect(shared["radiology"]?.pitchWords == ["billeddiagnostik"])
        #expect(shared["radiology"]?.solverTags == ["Radiology"])
        #expect(member.explanation[.tags]?.value ?? 0 > 0.5)
        #expect(result.unmatchedSolvers.first { $0.solver == "other" }?.reason == .noFit)
    }

    @Test func rareTagsWeighMoreThanCommonOnes() throws {
        let pitch = MatchPitch(id: "p", tags: ["oncology", "nlp"])
        var solvers = [
            MatchSolver(id: "rare", role: "researcher", tags: ["nlp"]),
            MatchSolver(id: "common", role: "researcher", tags: ["oncology"]),
        ]
        for index in 0..<8 { solvers.append(MatchSolver(id: "x\(index)", role: "student", tags: ["oncology"])) }
        let result = try Self.run([pitch], solvers, settings: RoundSettings(fitFloor: 0))
        let rare = try #require(result.explanation(pitch: "p", solver: "rare")?[.tags]?.value)
        let common = try #require(result.explanation(pitch: "p", solver: "common")?[.tags]?.value)
        #expect(rare > common)
        #expect(abs(rare + common - 1) < 1e-6)
    }

    @Test func everyFactorCountsAndTheExplanationAddsUp() throws {
        let pitch = MatchPitch(
            id: "p", tags: ["oncology"], text: "tumour segmentation", languages: ["da"], roles: ["researcher": 1],
            effortHours: 10, shortlisted: ["s"])
        let solvers = [
            MatchSolver(id: "s", role: "researcher", tags: ["oncology"], text: "tumour segmentation", languages: ["da", "en"],
                        hoursPerMonth: 5, interested: ["p"]),
            MatchSolver(id: "t", role: "student", tags: ["oncology"], text: "tumour segmentation", languages: ["en"],
                        hoursPerMonth: 20),
        ]
        let result = try Self.run([pitch], solvers, history: [PairID(pitch: "p", solver: "t")])
        let s = try #require(result.explanation(pitch: "p", solver: "s"))
        let t = try #require(result.explanation(pitch: "p", solver: "t"))
        #expect(s[.role]?.value == 1 && t[.role]?.value == 0)
        #expect(s[.language]?.value == 1 && t[.language]?.value == 0)
        #expect(s[.availability]?.value == 0.5 && t[.availability]?.value == 1)
        #expect(s[.interest]?.value == 1 && t[.interest]?.value == 0)
        #expect(s[.novelty]?.value == 1 && t[.novelty]?.value == 0.5)
        let weights = FactorWeights.standard
        let fitWeight = Factor.allCases.filter(\.isFit).reduce(0) { $0 + weights[$1] }
        for explanation in [s, t] {
            let fitParts = explanation.parts.filter(\.factor.isFit)
            #expect(abs(fitParts.reduce(0) { $0 + $1.share } - 1) < 1e-9)
            #expect(explanation.parts.filter { !$0.factor.isFit }.allSatisfy { $0.share == 0 })
            let fit = fitParts.reduce(0) { $0 + $1.value * $1.weight } / fitWeight
            let lost = explanation.parts.filter { !$0.factor.isFit }.reduce(0) { $0 + (1 - $1.value) * $1.weight } / weights.total
            #expect(abs(fit - explanation.fit) < 1e-6)
            #expect(abs((1 - lost) - explanation.adjustment) < 1e-6)
            #expect(abs(fit * (1 - lost) - explanation.score) < 1e-6)
            #expect(explanation.points == Int((explanation.score * 1000).rounded()))
            #expect(explanation.parts.allSatisfy { (0...1).contains($0.value) })
        }
        #expect(s.points > t.points)
    }

    /// Language, availability, role and novelty adjust a fit; they never make one.
    @Test func aPairWithNothingInCommonScoresNothing() throws {
        let pitch = MatchPitch(id: "p", tags: ["oncology"], text: "tumour segmentation", roles: ["researcher": 1], minGroupSize: 0)
        let stranger = MatchSolver(id: "s", role: "researcher", tags: ["cardiology"], text: "heart rhythm", languages: ["da", "en"],
                                   hoursPerMonth: 40)
        let result = try Self.run([pitch], [stranger])
        #expect(result.groups.isEmpty, "a stranger is no candidate")
        #expect(result.explanation(pitch: "p", solver: "s") == nil)
        #expect(result.unmatchedSolvers.map(\.solver) == ["s"])
        // Locked in, the stranger is in the group: with every adjusting factor at 1 and no fit, it
        // scores nothing (the weighted mean of all seven factors gave it 0.31).
        let locked = try Self.run([pitch], [stranger], locked: [PairID(pitch: "p", solver: "s")])
        let explanation = try #require(locked.groups.first?.members.first?.explanation)
        #expect(explanation.adjustment == 1)
        #expect(explanation.fit == 0 && explanation.score == 0 && explanation.points == 0)
        #expect(locked.groups.first?.members.first?.shared == [])
    }

    // MARK: Exclusions

    @Test func everyExclusionRemovesThePair() throws {
        let pitch = MatchPitch(
            id: "p", organisation: "aarhus-uh", tags: ["oncology"], languages: ["da"], requiresSharedLanguage: true,
            maxGroupSize: 10, declined: ["clinicianSaidNo"])
        let solvers = [
            MatchSolver(id: "ok", role: "researcher", tags: ["oncology"], languages: ["da"]),
            MatchSolver(id: "colleague", role: "researcher", organisation: "aarhus-uh", tags: ["oncology"], languages: ["da"]),
            MatchSolver(id: "conflicted", role: "researcher", tags: ["oncology"], languages: ["da"], conflicts: ["aarhus-uh"]),
            MatchSolver(id: "conflictedPitch", role: "researcher", tags: ["oncology"], languages: ["da"], conflicts: ["p"]),
            MatchSolver(id: "noConsent", role: "researcher", tags: ["oncology"], languages: ["da"], consents: false),
            MatchSolver(id: "solverSaidNo", role: "researcher", tags: ["oncology"], languages: ["da"], declined: ["p"]),
            MatchSolver(id: "clinicianSaidNo", role: "researcher", tags: ["oncology"], languages: ["da"]),
            MatchSolver(id: "blocked", role: "researcher", tags: ["oncology"], languages: ["da"]),
            MatchSolver(id: "englishOnly", role: "researcher", tags: ["oncology"], languages: ["en"]),
        ]
        let result = try Self.run([pitch], solvers, blocked: [PairID(pitch: "p", solver: "blocked")])
        #expect(result.candidates(of: "p").map(\.solver) == ["ok"])
        #expect(result.exclusion(pitch: "p", solver: "colleague") == .sameOrganisation)
        #expect(result.exclusion(pitch: "p", solver: "conflicted") == .declaredConflict)
        #expect(result.exclusion(pitch: "p", solver: "conflictedPitch") == .declaredConflict)
        #expect(result.exclusion(pitch: "p", solver: "solverSaidNo") == .solverDeclined)
        #expect(result.exclusion(pitch: "p", solver: "clinicianSaidNo") == .pitchDeclined)
        #expect(result.exclusion(pitch: "p", solver: "blocked") == .blocked)
        #expect(result.exclusion(pitch: "p", solver: "englishOnly") == .noSharedLanguage)
        #expect(result.exclusion(pitch: "p", solver: "ok") == nil)
        #expect(result.groups.map { $0.members.map(\.solver) } == [["ok"]])
        let reasons = Dictionary(uniqueKeysWithValues: result.unmatchedSolvers.map { ($0.solver, $0.reason) })
        #expect(reasons["noConsent"] == .noConsent)
        #expect(reasons["colleague"] == .noCandidatePitch)
        #expect(reasons.count == 8)

        // Without the hard language filter, the English speaker is scored, lower.
        var soft = pitch
        soft.requiresSharedLanguage = false
        let softResult = try Self.run([soft], solvers, blocked: [PairID(pitch: "p", solver: "blocked")])
        #expect(softResult.explanation(pitch: "p", solver: "englishOnly")?[.language]?.value == 0)
    }

    // MARK: Candidates

    @Test func candidatesAreTheBestKByExactScoreAndAlwaysIncludeWhatPeopleAskedFor() throws {
        let community = PlantedCommunity(pitches: 40, solvers: 600, topics: 8, seed: 7)
        var solvers = community.solvers
        // s599 is interested in p0 though it shares nothing with it.
        solvers[599].tags = []
        solvers[599].text = "nothing in common"
        solvers[599].interested = ["p0"]
        let k = 10
        let input = RoundInput(
            pitches: community.pitches, solvers: solvers, tags: community.tags,
            settings: RoundSettings(candidatesPerPitch: k, fitFloor: 0))
        let result = try MatchRound.run(input)
        let all = try Community(input)
        for p in all.pitches.indices {
            let kept = result.candidates(of: all.pitches[p].id)
            let keptIDs = Set(kept.map(\.solver))
            let askedFor = p == 0 ? 1 : 0
            #expect(kept.count == k + askedFor)
            // Every pair left out that may be matched scores at most the lowest kept (ties to the lower id).
            let weights = FactorWeights.Normalised(.standard)
            let lowest = kept.filter { !(p == 0 && $0.solver == "s599") }.map(\.explanation.points).min()!
            for s in all.solvers.indices where !keptIDs.contains(all.solvers[s].id) && all.exclusion(p, s) == nil {
                #expect(weights.points(all.values(p, s), scale: 1000) <= lowest)
            }
        }
        #expect(result.explanation(pitch: "p0", solver: "s599")?[.interest]?.value == 0.5)

        // Interest alone is a fit, but a small one: under the standard floor s599 is no candidate,
        // unless an organiser locks the pair in.
        var floored = input
        floored.settings.fitFloor = RoundSettings.standardFitFloor
        #expect(try MatchRound.run(floored).explanation(pitch: "p0", solver: "s599") == nil)
        floored.locked = [PairID(pitch: "p0", solver: "s599")]
        let locked = try MatchRound.run(floored)
        #expect(locked.groups.first { $0.pitch == "p0" }?.members.contains { $0.solver == "s599" && $0.locked } == true)
    }

    /// Seats above a group's minimum stay empty rather than go to a pair below the floor; a group
    /// that cannot reach its minimum above the floor is left out, and so is everyone who fits no
    /// pitch above it, each with the reason.
    @Test func seatsStayEmptyRatherThanGoToPairsBelowTheFloor() throws {
        let pitches = [
            MatchPitch(id: "lung", tags: ["oncology", "radiology"], text: "lung cancer in CT scans", minGroupSize: 1, maxGroupSize: 4),
            MatchPitch(id: "notes", tags: ["nlp"], text: "clinical notes", minGroupSize: 2, maxGroupSize: 4),
        ]
        let solvers = [
            MatchSolver(id: "fits", role: "researcher", tags: ["oncology", "radiology"], text: "cancer detection in CT scans"),
            MatchSolver(id: "notesOnly", role: "startup", tags: ["nlp"], text: "clinical notes summarised"),
            MatchSolver(id: "stranger", role: "student", tags: ["deep-learning"], text: "protein folding"),
            MatchSolver(id: "faint", role: "startup",
                        text: "Ultrasound of knees, hips and shoulders in sports medicine clinics, and some scans."),
        ]
        let result = try Self.run(pitches, solvers)
        #expect(result.groups.map(\.pitch) == ["lung"])
        #expect(result.groups[0].members.map(\.solver) == ["fits"], "three seats stay empty")
        #expect(result.settings.fitFloor == RoundSettings.standardFitFloor)
        #expect(result.groups[0].members[0].explanation.fitFloor == RoundSettings.standardFitFloor)
        let pitchReasons = Dictionary(uniqueKeysWithValues: result.unmatchedPitches.map { ($0.pitch, $0) })
        #expect(pitchReasons["notes"]?.reason == .tooFewCandidates)
        #expect(pitchReasons["notes"]?.detail.contains("floor") == true)
        let solverReasons = Dictionary(uniqueKeysWithValues: result.unmatchedSolvers.map { ($0.solver, $0) })
        #expect(solverReasons["stranger"]?.reason == .noFit)
        #expect(solverReasons["faint"]?.reason == .noFit)
        #expect(solverReasons["faint"]?.detail == "no pitch they fit above the floor (0.10)")
        #expect(solverReasons["notesOnly"]?.reason == .notChosen)

        // With no floor, the faint one takes a seat (the notes group's second, through "clinics");
        // a stranger, sharing nothing, still does not.
        let open = try Self.run(pitches, solvers, settings: RoundSettings(fitFloor: 0))
        #expect(open.groups.contains { $0.members.contains { $0.solver == "faint" } })
        #expect(open.unmatchedSolvers.map(\.solver) == ["stranger"])
        #expect(open.explanation(pitch: "lung", solver: "stranger") == nil)
    }

    // MARK: Groups

    @Test func theRoundIsOptimalOverItsCandidates() throws {
        for seed in 1...60 as ClosedRange<UInt64> {
            var random = SeededRandom(seed: seed)
            let topics = ["oncology", "radiology", "nlp", "deep-learning"]
            let pitches = (0..<Int.random(in: 1...3, using: &random)).map { index in
                MatchPitch(
                    id: "p\(index)", tags: Array(topics.shuffled(using: &random).prefix(2)),
                    roles: ["researcher": Int.random(in: 0...1, using: &random)], minGroupSize: 0,
                    maxGroupSize: Int.random(in: 1...3, using: &random), effortHours: Double(Int.random(in: 1...8, using: &random)))
            }
            let solvers = (0..<Int.random(in: 2...5, using: &random)).map { index in
                MatchSolver(
                    id: "s\(index)", role: Bool.random(using: &random) ? "researcher" : "student",
                    tags: Array(topics.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random))),
                    hoursPerMonth: Double(Int.random(in: 0...8, using: &random)), capacity: Int.random(in: 1...2, using: &random))
            }
            let result = try Self.run(pitches, solvers, settings: RoundSettings(roleBonus: 150))
            // Brute force over every subset of the scored candidate pairs.
            let pairs = pitches.flatMap { pitch in result.candidates(of: pitch.id).map { (pitch, $0.solver, $0.explanation.points) } }
            #expect(pairs.count <= 14)
            var best = 0
            for mask in 0..<(1 << pairs.count) {
                var size: [String: Int] = [:]
                var load: [String: Int] = [:]
                var researchers: [String: Int] = [:]
                var total = 0
                var feasible = true
                for (index, pair) in pairs.enumerated() where mask & (1 << index) != 0 {
                    size[pair.0.id, default: 0] += 1
                    load[pair.1, default: 0] += 1
                    let solver = solvers.first { $0.id == pair.1 }!
                    if solver.role == "researcher" { researchers[pair.0.id, default: 0] += 1 }
                    total += pair.2
                    if size[pair.0.id]! > pair.0.maxGroupSize || load[pair.1]! > solver.capacity { feasible = false }
                }
                guard feasible else { continue }
                for pitch in pitches { total += 150 * min(researchers[pitch.id] ?? 0, pitch.roles["researcher"] ?? 0) }
                best = max(best, total)
            }
            #expect(result.objective == best, "seed \(seed)")
        }
    }

    @Test func theSameInputInAnyOrderGivesTheSameGroups() throws {
        let community = PlantedCommunity(pitches: 30, solvers: 300, topics: 5, seed: 3)
        let first = try MatchRound.run(RoundInput(pitches: community.pitches, solvers: community.solvers, tags: community.tags))
        var random = SeededRandom(seed: 99)
        let shuffled = try MatchRound.run(RoundInput(
            pitches: community.pitches.shuffled(using: &random), solvers: community.solvers.shuffled(using: &random),
            tags: community.tags.shuffled(using: &random)))
        #expect(first.groups.map(\.pitch) == shuffled.groups.map(\.pitch))
        #expect(first.groups.map { $0.members.map(\.solver) } == shuffled.groups.map { $0.members.map(\.solver) })
        #expect(first.groups.map(\.total) == shuffled.groups.map(\.total))
        #expect(first.objective == shuffled.objective)
        #expect(first.groups.count == 30)
    }

    @Test func tiesGoToTheLowerIdWhateverTheOrder() throws {
        let pitches = [MatchPitch(id: "p", tags: ["nlp"], maxGroupSize: 2), MatchPitch(id: "q", tags: ["radiology"], maxGroupSize: 1)]
        let twins = ["s4", "s2", "s9", "s3"].map { MatchSolver(id: $0, role: "student", tags: ["nlp"]) }
        let others = ["r2", "r1"].map { MatchSolver(id: $0, role: "researcher", tags: ["radiology"]) }
        for order in [twins + others, (others + twins).reversed()] {
            let result = try Self.run(pitches, Array(order))
            #expect(result.groups.map { $0.members.map(\.solver) } == [["s2", "s3"], ["r1"]])
        }
        // One seat, three equal candidates.
        for ids in [["a", "b", "c"], ["c", "b", "a"], ["b", "c", "a"]] {
            let result = try Self.run([MatchPitch(id: "p", tags: ["nlp"], maxGroupSize: 1)],
                                      ids.map { MatchSolver(id: $0, role: "student", tags: ["nlp"]) })
            #expect(result.groups.first?.members.map(\.solver) == ["a"])
        }
        // One free seat next to a locked pair, two equal candidates: left to itself, the solver
        // takes the later one here.
        let pitch = MatchPitch(id: "p", tags: ["oncology"], roles: ["researcher": 1], maxGroupSize: 2)
        let solvers = [
            MatchSolver(id: "best", role: "researcher", tags: ["oncology"]),
            MatchSolver(id: "second", role: "researcher", tags: ["oncology"]),
            MatchSolver(id: "weak", role: "researcher", tags: ["nlp"], interested: ["p"]),
        ]
        let locked = try Self.run([pitch], solvers, locked: [PairID(pitch: "p", solver: "weak")])
        #expect(locked.groups[0].members.map(\.solver) == ["best", "weak"])
    }

    @Test func lockedPairsAreAlwaysInAndCountTowardsTheRoleMix() throws {
        let pitch = MatchPitch(id: "p", tags: ["oncology"], roles: ["researcher": 1], maxGroupSize: 2, effortHours: 10)
        let solvers = [
            MatchSolver(id: "best", role: "researcher", tags: ["oncology"], hoursPerMonth: 10),
            MatchSolver(id: "second", role: "researcher", tags: ["oncology"], hoursPerMonth: 8),
            MatchSolver(id: "weak", role: "researcher", tags: ["nlp"], interested: ["p"]),
        ]
        let free = try Self.run([pitch], solvers)
        #expect(Set(free.groups[0].members.map(\.solver)) == ["best", "second"])
        let locked = try Self.run([pitch], solvers, locked: [PairID(pitch: "p", solver: "weak")])
        let members = locked.groups[0].members
        #expect(Set(members.map(\.solver)) == ["best", "weak"])
        #expect(members.first { $0.solver == "weak" }?.locked == true)
        #expect(locked.groups[0].roleBonus == 300)

        #expect(throws: RoundError.self) {
            try Self.run([MatchPitch(id: "p", organisation: "o")], [MatchSolver(id: "s", role: "student", organisation: "o")],
                         locked: [PairID(pitch: "p", solver: "s")])
        }
        #expect(throws: RoundError.lockedPairsExceed(id: "s", reason: "2 locked pairs, but their capacity is 1.")) {
            try Self.run([MatchPitch(id: "p"), MatchPitch(id: "q")], [MatchSolver(id: "s", role: "student")],
                         locked: [PairID(pitch: "p", solver: "s"), PairID(pitch: "q", solver: "s")])
        }
        #expect(throws: RoundError.unknownID("nobody")) {
            try Self.run([pitch], solvers, locked: [PairID(pitch: "p", solver: "nobody")])
        }
    }

    @Test func aPitchBelowItsMinimumGetsNoGroupAndSaysWhy() throws {
        let pitches = [
            MatchPitch(id: "a-few", tags: ["nlp"], minGroupSize: 3, maxGroupSize: 3),
            MatchPitch(id: "b-roles", tags: ["radiology"], roles: ["mentor": 1], requiresRoles: true, minGroupSize: 1),
            MatchPitch(id: "c-strong", tags: ["oncology"], minGroupSize: 2, maxGroupSize: 2),
            MatchPitch(id: "d-weak", tags: ["oncology", "deep-learning"], minGroupSize: 2, maxGroupSize: 2),
        ]
        let solvers = [
            MatchSolver(id: "n1", role: "student", tags: ["nlp"]),
            MatchSolver(id: "r1", role: "researcher", tags: ["radiology"]),
            MatchSolver(id: "o1", role: "researcher", tags: ["oncology"]),
            MatchSolver(id: "o2", role: "researcher", tags: ["oncology"]),
            MatchSolver(id: "o3", role: "researcher", tags: ["deep-learning"]),
        ]
        let result = try Self.run(pitches, solvers)
        let reasons = Dictionary(uniqueKeysWithValues: result.unmatchedPitches.map { ($0.pitch, $0.reason) })
        #expect(reasons["a-few"] == .tooFewCandidates)
        #expect(reasons["b-roles"] == .roleMissing)
        #expect(result.groups.map(\.pitch) == ["c-strong"] || result.groups.map(\.pitch) == ["d-weak"])
        let dropped = result.groups.map(\.pitch) == ["c-strong"] ? "d-weak" : "c-strong"
        #expect(reasons[dropped] == .capacityUsedElsewhere)
        #expect(result.unmatchedPitches.allSatisfy { !$0.detail.isEmpty })
        #expect(result.groups.allSatisfy { $0.members.count >= 2 })
    }

    @Test func badSettingsAndInputAreRefusedPlainly() {
        #expect(throws: RoundError.self) { try Self.run([], [], settings: RoundSettings(candidatesPerPitch: 0)) }
        #expect(throws: RoundError.self) { try Self.run([], [], settings: RoundSettings(weights: FactorWeights([:]))) }
        #expect(throws: RoundError.self) { try Self.run([MatchPitch(id: "p", minGroupSize: 3, maxGroupSize: 2)], []) }
        #expect(throws: RoundError.duplicateID("s")) {
            try Self.run([], [MatchSolver(id: "s", role: "student"), MatchSolver(id: "s", role: "mentor")])
        }
        #expect(throws: RoundError.self) { try Self.run([], [MatchSolver(id: "s", role: "student", hoursPerMonth: -.infinity)]) }
    }

    // MARK: Stable matching

    @Test func theStableModeLeavesNoBlockingPair() throws {
        for seed in 1...30 as ClosedRange<UInt64> {
            let community = PlantedCommunity(pitches: 12, solvers: 60, topics: 3, seed: seed)
            var random = SeededRandom(seed: seed)
            var solverRankings: [String: [String]] = [:]
            var pitchRankings: [String: [String]] = [:]
            for solver in community.solvers.prefix(20) {
                solverRankings[solver.id] = community.pitches.shuffled(using: &random).prefix(4).map(\.id)
            }
            for pitch in community.pitches.prefix(6) {
                pitchRankings[pitch.id] = community.solvers.shuffled(using: &random).prefix(10).map(\.id)
            }
            let result = try MatchRound.run(RoundInput(
                pitches: community.pitches, solvers: community.solvers, tags: community.tags,
                settings: RoundSettings(candidatesPerPitch: 8, mode: .stable),
                pitchRankings: pitchRankings, solverRankings: solverRankings))
            let stability = try Self.blockingPairs(result, community: community, pitchRankings: pitchRankings, solverRankings: solverRankings)
            #expect(stability.isEmpty, "seed \(seed): \(stability)")
            #expect(!result.groups.isEmpty)
        }
    }

    /// Candidate pairs outside the result that both sides would rather have.
    static func blockingPairs(
        _ result: RoundResult, community: PlantedCommunity, pitchRankings: [String: [String]], solverRankings: [String: [String]]
    ) throws -> [PairID] {
        var groupOf: [String: [String]] = [:]
        var pitchesOf: [String: [String]] = [:]
        for group in result.groups {
            groupOf[group.pitch] = group.members.map(\.solver)
            for member in group.members { pitchesOf[member.solver, default: []].append(group.pitch) }
        }
        let dropped = Set(result.unmatchedPitches.map(\.pitch))
        func points(_ p: String, _ s: String) -> Int { result.explanation(pitch: p, solver: s)!.points }
        // Each side ranks by its ranking, then by points, ties to the lower id.
        func pitchPrefers(_ p: String, _ a: String, over b: String) -> Bool {
            let ranking = pitchRankings[p] ?? []
            let ra = ranking.firstIndex(of: a) ?? Int.max
            let rb = ranking.firstIndex(of: b) ?? Int.max
            if ra != rb { return ra < rb }
            return points(p, a) != points(p, b) ? points(p, a) > points(p, b) : a < b
        }
        func solverPrefers(_ s: String, _ a: String, over b: String) -> Bool {
            let ranking = solverRankings[s] ?? []
            let ra = ranking.firstIndex(of: a) ?? Int.max
            let rb = ranking.firstIndex(of: b) ?? Int.max
            if ra != rb { return ra < rb }
            return points(a, s) != points(b, s) ? points(a, s) > points(b, s) : a < b
        }
        var blocking: [PairID] = []
        for pitch in community.pitches where !dropped.contains(pitch.id) {
            let members = groupOf[pitch.id] ?? []
            for candidate in result.candidates(of: pitch.id) where !members.contains(candidate.solver) {
                let s = candidate.solver
                let solver = community.solvers.first { $0.id == s }!
                let mine = pitchesOf[s] ?? []
                let pitchWants = members.count < pitch.maxGroupSize || members.contains { pitchPrefers(pitch.id, s, over: $0) }
                let solverWants = mine.count < solver.capacity || mine.contains { solverPrefers(s, pitch.id, over: $0) }
                if pitchWants && solverWants { blocking.append(PairID(pitch: pitch.id, solver: s)) }
            }
        }
        return blocking
    }

    // MARK: Quality

    @Test func plantedTopicsAreFoundAcrossLanguages() throws {
        // Profiles in both languages, then all in English: Danish pitches must still find their topic.
        for danishProfiles in [0.4, 0] {
            let community = PlantedCommunity(pitches: 200, solvers: 2000, topics: 25, seed: 11, danishProfiles: danishProfiles)
            let result = try MatchRound.run(RoundInput(pitches: community.pitches, solvers: community.solvers, tags: community.tags))
            let pitches = Dictionary(uniqueKeysWithValues: community.pitches.map { ($0.id, $0) })
            var assigned = 0
            var onTopic = 0
            var danishAssigned = 0
            var danishOnTopic = 0
            for group in result.groups {
                let danish = pitches[group.pitch]!.textLanguage == .danish
                for member in group.members {
                    let hit = community.pitchTopic[group.pitch] == community.solverTopic[member.solver]
                    assigned += 1
                    onTopic += hit ? 1 : 0
                    danishAssigned += danish ? 1 : 0
                    danishOnTopic += danish && hit ? 1 : 0
                }
            }
            #expect(assigned >= 600, "\(danishProfiles)")
            #expect(Double(onTopic) >= 0.9 * Double(assigned), "\(danishProfiles): \(onTopic) of \(assigned) on topic")
            #expect(danishAssigned >= 300)
            #expect(Double(danishOnTopic) >= 0.9 * Double(danishAssigned), "\(danishProfiles): \(danishOnTopic) of \(danishAssigned)")
        }
    }
}
