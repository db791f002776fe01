import KoblingCore
import Matching

extension RoundInput {
    /// What the engine runs on for a round's community: the round's settings over its pitches
    /// and the people it matches.
    ///
    /// A pitch's roles earn the round's role bonus; when the round requires roles and the pitch
    /// marks some required, only those count, and a group without them is not formed. A person's
    /// first organisation is theirs; the others are declared conflicts, so that nobody is matched
    /// to a pitch of an organisation they belong to.
    public init(_ community: RoundCommunity) {
        let round = community.round
        let pitches = community.pitches.map { candidate -> MatchPitch in
            let pitch = candidate.pitch
            let required = pitch.roles.filter(\.required)
            let requiresRoles = round.requireRoles && !required.isEmpty
            let counted = requiresRoles ? required : pitch.roles
            let size = round.groupSize ?? pitch.groupSize
            return MatchPitch(
                id: pitch.id, organisation: pitch.organisationId,
                tags: pitch.tags + [pitch.clinicalDomain].compactMap { $0 },
                text: [pitch.title, pitch.problem, pitch.dataDescription].compactMap { $0 }.joined(separator: "\n"),
                textLanguage: pitch.language == .da ? .danish : .english,
                languages: pitch.languages.isEmpty ? [pitch.language.rawValue] : pitch.languages,
                requiresSharedLanguage: pitch.requiresSharedLanguage,
                roles: Dictionary(counted.map { ($0.role.rawValue, $0.count) }, uniquingKeysWith: max),
                requiresRoles: requiresRoles, minGroupSize: size.min, maxGroupSize: size.max,
                effortHours: pitch.effortHoursPerMonth.map(Double.init), shortlisted: candidate.shortlisted, declined: candidate.declined)
        }
        let solvers = community.members.map { member in
            MatchSolver(
                id: member.id, role: member.role.rawValue, organisation: member.organisations.first, tags: member.tags,
                text: member.text, textLanguage: member.languages.first == "da" ? .danish : .english,
                languages: member.languages, hoursPerMonth: member.hoursPerMonth.map(Double.init), capacity: member.capacity,
                consents: true, interested: member.interested, declined: member.declined,
                conflicts: member.conflicts + member.organisations.dropFirst())
        }
        var weights = FactorWeights.standard
        for (name, weight) in round.weights {
            if let factor = Factor(rawValue: name) { weights.values[factor] = weight }
        }
        let settings = RoundSettings(
            weights: weights, candidatesPerPitch: round.candidatesPerPitch, roleBonus: round.roleBonus,
            mode: round.mode == .stable ? .stable : .optimal, fitFloor: round.fitFloor)
        self.init(
            pitches: pitches, solvers: solvers,
            tags: community.tags.map { MatchTag(id: $0.id, labels: [$0.label.da, $0.label.en], synonyms: $0.synonyms) },
            settings: settings,
            history: community.met.map { PairID(pitch: $0.pitchId, solver: $0.personId) },
            blocked: community.blocked.map { PairID(pitch: $0.pitchId, solver: $0.personId) },
            locked: community.locked.map { PairID(pitch: $0.pitchId, solver: $0.personId) })
    }
}
