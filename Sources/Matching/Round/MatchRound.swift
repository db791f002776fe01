/// One match round, start to end: index the community, generate and score the candidates, form the
/// groups, and explain the result.
public enum MatchRound {
    public static func run(_ input: RoundInput) throws -> RoundResult {
        try validate(input)
        let clock = ContinuousClock()
        let started = clock.now
        let community = try Community(input)
        let indexed = clock.now

        var lockedKeys: [UInt64] = []
        var lockedPerPitch: [Int: Int] = [:]
        var lockedPerSolver: [Int: Int] = [:]
        for pair in Set(input.locked).sorted() {
            guard let p = community.pitchIndex[pair.pitch] else { throw RoundError.unknownID(pair.pitch) }
            guard let s = community.solverIndex[pair.solver] else { throw RoundError.unknownID(pair.solver) }
            if let reason = community.exclusion(p, s) { throw RoundError.lockedPairExcluded(pair, reason: reason.description) }
            lockedKeys.append(Community.key(p, s))
            lockedPerPitch[p, default: 0] += 1
            lockedPerSolver[s, default: 0] += 1
        }
        for (p, count) in lockedPerPitch where count > community.pitches[p].maxGroupSize {
            throw RoundError.lockedPairsExceed(id: community.pitches[p].id, reason: "\(count) locked pairs, but the group takes at most \(community.pitches[p].maxGroupSize).")
        }
        for (s, count) in lockedPerSolver where count > community.solvers[s].capacity {
            throw RoundError.lockedPairsExceed(id: community.solvers[s].id, reason: "\(count) locked pairs, but their capacity is \(community.solvers[s].capacity).")
        }

        var lockedSolvers: [Int: Set<Int>] = [:]
        var wanted: [Int: Set<Int>] = [:]
        for key in lockedKeys { lockedSolvers[Int(key >> 32), default: []].insert(Int(key & 0xFFFF_FFFF)) }
        for pair in community.wantedPairs { wanted[pair.pitch, default: []].insert(pair.solver) }
        let generator = CandidateGenerator(
            community: community, weights: .init(input.settings.weights), scale: input.settings.scale,
            perPitch: input.settings.candidatesPerPitch, fitFloor: input.settings.fitFloor)
        let generated = generator.generate(wanted: wanted, locked: lockedSolvers)
        let pairs = generated.pairs
        let scored = clock.now

        let locked = lockedKeys.map { pairs.index(pitch: Int($0 >> 32), solver: Int($0 & 0xFFFF_FFFF))! }
        let formation = GroupFormation(
            community: community, pairs: pairs, settings: input.settings,
            pitchRankings: input.pitchRankings, solverRankings: input.solverRankings, locked: locked)
        let outcome = formation.form()
        let formed = clock.now

        return ResultBuilder(community: community, pairs: pairs, settings: input.settings, locked: Set(locked),
                             fitsSomewhere: generated.fitsSomewhere)
            .build(outcome, statistics: RoundResult.Statistics(
                pitches: community.pitches.count, solvers: community.solvers.count, candidatePairs: pairs.count,
                pairsEstimated: generated.estimated, pairsScored: generated.scored,
                indexSeconds: (indexed - started).seconds, conceptSeconds: community.conceptSeconds, scoringSeconds: (scored - indexed).seconds,
                assignmentSeconds: (formed - scored).seconds, passes: outcome.passes))
    }


    private static func validate(_ input: RoundInput) throws {
        let settings = input.settings
        guard settings.fitFloor >= 0 && settings.fitFloor <= 1 else {
            throw RoundError.invalidSetting("The fit floor must be a score from 0 to 1.")
        }
        guard settings.candidatesPerPitch >= 1 else { throw RoundError.invalidSetting("Candidates per pitch must be at least 1.") }
        guard settings.scale >= 1 && settings.scale <= 1_000_000 else { throw RoundError.invalidSetting("The scale must be from 1 to 1,000,000.") }
        guard settings.roleBonus >= 0 && settings.roleBonus <= 100 * settings.scale else {
            throw RoundError.invalidSetting("The role bonus must be from 0 to 100 times the scale.")
        }
        for (factor, weight) in settings.weights.values where !(weight >= 0 && weight <= 1000) {
            throw RoundError.invalidSetting("The weight of \(factor.rawValue) must be from 0 to 1000.")
        }
        guard settings.weights.fitTotal > 0 else {
            throw RoundError.invalidSetting("At least one of tags, text and interest needs a weight above 0: they make a pair's fit.")
        }
        for pitch in input.pitches {
            guard pitch.minGroupSize >= 0, pitch.maxGroupSize >= 1, pitch.minGroupSize <= pitch.maxGroupSize else {
                throw RoundError.invalidPitch(id: pitch.id, reason: "the group size must be at least 1 and the minimum at most the maximum.")
            }
            guard pitch.roles.values.allSatisfy({ $0 >= 0 && $0 <= pitch.maxGroupSize }) else {
                throw RoundError.invalidPitch(id: pitch.id, reason: "each role's count must be from 0 to the group size.")
            }
            if let effort = pitch.effortHours, !(effort >= 0 && effort.isFinite) {
                throw RoundError.invalidPitch(id: pitch.id, reason: "the expected effort must be a number of hours from 0.")
            }
        }
        for solver in input.solvers {
            guard solver.capacity >= 0 && solver.capacity <= 1000 else {
                throw RoundError.invalidSolver(id: solver.id, reason: "the capacity must be from 0 to 1000.")
            }
            if let hours = solver.hoursPerMonth, !(hours >= 0 && hours.isFinite) {
                throw RoundError.invalidSolver(id: solver.id, reason: "the hours a month must be a number from 0.")
            }
        }
    }
}

/// Turns the chosen pairs into groups with explanations and the reasons for everyone left out.
private struct ResultBuilder {
    let community: Community
    let pairs: ScoredPairs
    let settings: RoundSettings
    let locked: Set<Int>
    let fitsSomewhere: [Bool]

    private func member(_ index: Int, pitchEvidence: [Int32: (tags: [String], words: [String])]) -> RoundResult.Member {
        let solver = community.solvers[Int(pairs.solver[index])]
        let explanation = Explanation(values: pairs.values[index], settings: settings)
        let solverEvidence = community.evidence(solver: Int(pairs.solver[index]), among: pitchEvidence)
        var shared: [RoundResult.SharedConcept] = []
        for (concept, theirs) in solverEvidence {
            guard let ours = pitchEvidence[concept] else { continue }
            shared.append(.init(
                concept: community.vocabulary.name(of: concept) ?? ours.tags.first ?? theirs.tags.first ?? "",
                pitchTags: ours.tags, pitchWords: ours.words, solverTags: theirs.tags, solverWords: theirs.words))
        }
        shared.sort { $0.concept < $1.concept }
        return RoundResult.Member(solver: solver.id, role: solver.role, locked: locked.contains(index),
                                  explanation: explanation, shared: shared)
    }

    /// Best score first, ties by solver id.
    private static func better(_ a: RoundResult.Member, _ b: RoundResult.Member) -> Bool {
        if a.explanation.points != b.explanation.points { return a.explanation.points > b.explanation.points }
        return a.solver < b.solver
    }

    func build(_ outcome: GroupFormation.Outcome, statistics: RoundResult.Statistics) -> RoundResult {
        var byPitch: [Int: [Int]] = [:]
        var solverLoad = [Int](repeating: 0, count: community.solvers.count)
        let pitchOf = pairs.pitchOfPairs()
        for index in outcome.chosen {
            solverLoad[Int(pairs.solver[index])] += 1
            byPitch[pitchOf[index], default: []].append(index)
        }
        // The groups on all cores: each member's explanation splits the texts again for its words.
        let grouped = byPitch.keys.sorted()
        let groups = parallelMap(grouped.count, state: { () }) { position, _ in
            let p = grouped[position]
            let pitch = community.pitches[p]
            let evidence = community.evidence(pitch: p)
            let members = byPitch[p]!.map { member($0, pitchEvidence: evidence) }.sorted(by: Self.better)
            var roleCounts: [String: Int] = [:]
            for member in members { roleCounts[member.role, default: 0] += 1 }
            var bonus = 0
            for (role, asked) in pitch.roles { bonus += settings.roleBonus * min(roleCounts[role] ?? 0, asked) }
            return RoundResult.Group(
                pitch: pitch.id, members: members, pairPoints: members.reduce(0) { $0 + $1.explanation.points }, roleBonus: bonus)
        }
        let unmatchedPitches = outcome.dropped.keys.sorted().map { p in
            RoundResult.UnmatchedPitch(pitch: community.pitches[p].id, reason: outcome.dropped[p]!.0, detail: outcome.dropped[p]!.1)
        }
        var candidateOf = [Bool](repeating: false, count: community.solvers.count)
        for s in pairs.solver { candidateOf[Int(s)] = true }
        var unmatchedSolvers: [RoundResult.UnmatchedSolver] = []
        for (s, solver) in community.solvers.enumerated() where solverLoad[s] == 0 {
            if !solver.consents {
                unmatchedSolvers.append(.init(solver: solver.id, reason: .noConsent, detail: "has not consented to be matched"))
            } else if solver.capacity == 0 {
                unmatchedSolvers.append(.init(solver: solver.id, reason: .noCapacity, detail: "has no capacity in this round"))
            } else if !candidateOf[s] && !fitsSomewhere[s] {
                unmatchedSolvers.append(.init(
                    solver: solver.id, reason: .noFit,
                    detail: "no pitch they fit above the floor (\(settings.fitFloorText))"))
            } else if !candidateOf[s] {
                unmatchedSolvers.append(.init(
                    solver: solver.id, reason: .noCandidatePitch,
                    detail: "no pitch kept them among its \(settings.candidatesPerPitch) best candidates, or the pitches they fit exclude them"))
            } else {
                unmatchedSolvers.append(.init(
                    solver: solver.id, reason: .notChosen,
                    detail: settings.mode == .optimal
                        ? "every pitch they could join was better served by others"
                        : "every pitch they could join preferred its members to them"))
            }
        }
        return RoundResult(
            mode: settings.mode, groups: groups, unmatchedPitches: unmatchedPitches, unmatchedSolvers: unmatchedSolvers,
            objective: groups.reduce(0) { $0 + $1.total }, statistics: statistics,
            community: community, pairs: pairs, settings: settings)
    }
}

extension Duration {
    /// The duration as seconds, with their fraction.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
