import Foundation

/// A round's pitches and solvers, indexed for scoring: sorted by id (so that every tie is broken by
/// id), their tags and the concepts in their texts as concepts, their texts as TF-IDF vectors, and
/// the answers and history that exclude pairs or change their scores. Pure data, read concurrently while scoring.
struct Community: Sendable {
    let pitches: [MatchPitch]
    let solvers: [MatchSolver]
    let pitchIndex: [String: Int]
    let solverIndex: [String: Int]
    /// Role names, sorted; each solver's role as an index into them.
    let roles: [String]
    let solverRole: [Int]

    /// Where each text names tags (the pitches' texts first, then the solvers'), and each of the
    /// reader's tags as a concept: the words of the members' explanations.
    private let textHits: [[ConceptReader.Hit]]
    private let conceptOfTag: [Int32?]
    /// Seconds spent reading the concepts in the texts.
    let conceptSeconds: Double
    /// Every tag name seen, to its concept.
    let vocabulary: TagVocabulary
    let pitchConcepts: [[Int32]]
    let solverConcepts: [[Int32]]
    /// Rarity of each concept among solvers: ln(1 + S / df).
    let conceptWeight: [Float]
    /// Σ conceptWeight over each pitch's concepts.
    let pitchConceptTotal: [Float]

    /// How many distinct terms the texts have.
    let termCount: Int
    let pitchVectors: [TermVector]
    let solverVectors: [TermVector]

    /// Languages as bit sets, organisations as numbers (-1 for none), and the other per-person
    /// facts a pair's score reads, in flat arrays so that scoring copies no records.
    private let pitchLanguages: [UInt64]
    private let solverLanguages: [UInt64]
    private let pitchRequiresLanguage: [Bool]
    private let pitchOrganisation: [Int32]
    private let solverOrganisation: [Int32]
    private let pitchEffort: [Float]
    private let solverHours: [Float]
    private let solverConsents: [Bool]
    /// Roles each pitch asks for, as a bit set of role indices.
    let pitchRoles: [UInt64]

    /// Pair keys (pitch << 32 | solver) for answers and organiser decisions.
    private let excludedPairs: [UInt64: Exclusion]
    private let solverConflictOrganisations: [Int: Set<Int32>]
    private let interestedPairs: Set<UInt64>
    private let shortlistedPairs: Set<UInt64>
    private let meetings: [UInt64: Int]

    static func key(_ pitch: Int, _ solver: Int) -> UInt64 { UInt64(pitch) << 32 | UInt64(solver) }

    init(_ input: RoundInput) throws {
        pitches = input.pitches.sorted { $0.id < $1.id }
        solvers = input.solvers.sorted { $0.id < $1.id }
        var pitchIndex: [String: Int] = [:]
        var solverIndex: [String: Int] = [:]
        for (index, pitch) in pitches.enumerated() {
            guard pitchIndex.updateValue(index, forKey: pitch.id) == nil else { throw RoundError.duplicateID(pitch.id) }
        }
        for (index, solver) in solvers.enumerated() {
            guard solverIndex.updateValue(index, forKey: solver.id) == nil else { throw RoundError.duplicateID(solver.id) }
        }
        self.pitchIndex = pitchIndex
        self.solverIndex = solverIndex
        roles = Array(Set(solvers.map(\.role)).union(pitches.flatMap(\.roles.keys))).sorted()
        let roleIndex = Dictionary(uniqueKeysWithValues: roles.enumerated().map { ($1, $0) })
        solverRole = solvers.map { roleIndex[$0.role]! }
        guard roles.count <= 64 else { throw RoundError.invalidSetting("A round can have at most 64 roles.") }
        pitchRoles = pitches.map { $0.roles.keys.reduce(0) { $0 | 1 << UInt64(roleIndex[$1]!) } }

        // A person's concepts are their tags' and those the taxonomy finds in their text, in
        // either language: a Danish pitch without tags meets an English profile in them. The
        // texts are read for concepts in the pass that analyses them for TF-IDF.
        let texts = pitches.map { ($0.text, $0.textLanguage) } + solvers.map { ($0.text, $0.textLanguage) }
        let reader = ConceptReader(input.tags)
        let analysed = Analyzer.analyzeAll(texts, reading: reader)
        let found = analysed.hits
        textHits = found
        conceptSeconds = analysed.readingSeconds
        var vocabulary = TagVocabulary(input.tags)
        // Each of the reader's tags to its concept, once, rather than each finding by its name.
        let conceptOfTag = reader.tagIDs.map { vocabulary.concepts(of: [$0]).first }
        self.conceptOfTag = conceptOfTag
        // The tags' concepts in turn (the vocabulary learns free tags as it goes), then each
        // person's with those of their text, on all cores.
        let named = pitches.map { vocabulary.concepts(of: $0.tags) } + solvers.map { vocabulary.concepts(of: $0.tags) }
        let people = parallelMap(named.count, state: { () }) { index, _ -> [Int32] in
            guard !found[index].isEmpty else { return named[index] }
            var all = named[index] + found[index].compactMap { conceptOfTag[Int($0.tag)] }
            all.sort()
            var unique: [Int32] = []
            unique.reserveCapacity(all.count)
            for concept in all where unique.last != concept { unique.append(concept) }
            return unique
        }
        let pitchConcepts = Array(people[..<pitches.count])
        let solverConcepts = Array(people[pitches.count...])
        self.pitchConcepts = pitchConcepts
        self.solverConcepts = solverConcepts
        self.vocabulary = vocabulary
        var conceptFrequency = [Int](repeating: 0, count: vocabulary.conceptCount)
        for concepts in solverConcepts {
            for concept in concepts { conceptFrequency[Int(concept)] += 1 }
        }
        let solverCount = Double(max(solvers.count, 1))
        // A concept no solver has still weighs (as if one had it), so that it counts as missing.
        let conceptWeight = conceptFrequency.map { Float(log1p(solverCount / Double(max($0, 1)))) }
        self.conceptWeight = conceptWeight
        pitchConceptTotal = pitchConcepts.map { $0.reduce(0) { $0 + conceptWeight[Int($1)] } }

        termCount = analysed.terms.count
        let vectors = TermVector.corpus(analysed.documents, termCount: termCount)
        pitchVectors = Array(vectors[..<pitches.count])
        solverVectors = Array(vectors[pitches.count...])

        var languageBits: [String: UInt64] = [:]
        func bits(_ languages: [String]) throws -> UInt64 {
            var result: UInt64 = 0
            for language in languages.map(TagVocabulary.key) {
                if languageBits[language] == nil {
                    guard languageBits.count < 64 else { throw RoundError.invalidSetting("A round can have at most 64 languages.") }
                    languageBits[language] = 1 << UInt64(languageBits.count)
                }
                result |= languageBits[language]!
            }
            return result
        }
        var languageSets: [[String]: UInt64] = [:]
        func cachedBits(_ languages: [String]) throws -> UInt64 {
            if let known = languageSets[languages] { return known }
            let result = try bits(languages)
            languageSets[languages] = result
            return result
        }
        pitchLanguages = try pitches.map { try cachedBits($0.languages) }
        solverLanguages = try solvers.map { try cachedBits($0.languages) }
        pitchRequiresLanguage = pitches.map(\.requiresSharedLanguage)
        var organisationNumbers: [String: Int32] = [:]
        func number(_ organisation: String?) -> Int32 {
            guard let organisation else { return -1 }
            if let known = organisationNumbers[organisation] { return known }
            organisationNumbers[organisation] = Int32(organisationNumbers.count)
            return Int32(organisationNumbers.count - 1)
        }
        pitchOrganisation = pitches.map { number($0.organisation) }
        solverOrganisation = solvers.map { number($0.organisation) }
        pitchEffort = pitches.map { Float($0.effortHours ?? 0) }
        solverHours = solvers.map { Float($0.hoursPerMonth ?? 0) }
        solverConsents = solvers.map(\.consents)

        func index(_ pair: PairID) throws -> UInt64 {
            guard let pitch = pitchIndex[pair.pitch] else { throw RoundError.unknownID(pair.pitch) }
            guard let solver = solverIndex[pair.solver] else { throw RoundError.unknownID(pair.solver) }
            return Self.key(pitch, solver)
        }
        var excluded: [UInt64: Exclusion] = [:]
        var interested = Set<UInt64>()
        var shortlisted = Set<UInt64>()
        var conflictOrganisations: [Int: Set<Int32>] = [:]
        // Ids in people's answers that are not in this round are ignored: they answered about
        // pitches and people of other rounds.
        for (p, pitch) in pitches.enumerated() {
            for id in pitch.declined { if let s = solverIndex[id] { excluded[Self.key(p, s)] = .pitchDeclined } }
            for id in pitch.shortlisted { if let s = solverIndex[id] { shortlisted.insert(Self.key(p, s)) } }
        }
        for (s, solver) in solvers.enumerated() {
            for id in solver.declined { if let p = pitchIndex[id] { excluded[Self.key(p, s)] = .solverDeclined } }
            for id in solver.interested { if let p = pitchIndex[id] { interested.insert(Self.key(p, s)) } }
            for id in solver.conflicts {
                if let p = pitchIndex[id] { excluded[Self.key(p, s)] = .declaredConflict }
                if let organisation = organisationNumbers[id] { conflictOrganisations[s, default: []].insert(organisation) }
            }
        }
        for pair in input.blocked { excluded[try index(pair)] = .blocked }
        var meetings: [UInt64: Int] = [:]
        for pair in input.history {
            if let p = pitchIndex[pair.pitch], let s = solverIndex[pair.solver] { meetings[Self.key(p, s), default: 0] += 1 }
        }
        excludedPairs = excluded
        solverConflictOrganisations = conflictOrganisations
        interestedPairs = interested
        shortlistedPairs = shortlisted
        self.meetings = meetings
    }

    /// Why a pair may not be matched, or nil when it may.
    func exclusion(_ p: Int, _ s: Int) -> Exclusion? {
        if !solverConsents[s] { return .noConsent }
        let organisation = pitchOrganisation[p]
        if organisation >= 0 {
            if organisation == solverOrganisation[s] { return .sameOrganisation }
            if !solverConflictOrganisations.isEmpty, solverConflictOrganisations[s]?.contains(organisation) == true {
                return .declaredConflict
            }
        }
        if !excludedPairs.isEmpty, let reason = excludedPairs[Self.key(p, s)] { return reason }
        if pitchRequiresLanguage[p] && pitchLanguages[p] & solverLanguages[s] == 0 { return .noSharedLanguage }
        return nil
    }

    /// Each concept of a pitch's tags and text, with the tags and the words that gave it.
    func evidence(pitch p: Int) -> [Int32: (tags: [String], words: [String])] {
        evidence(tags: pitches[p].tags, text: pitches[p].text, hits: textHits[p], among: nil)
    }

    /// Each concept of a solver's tags and text that is `among` a pitch's, with the tags and the
    /// words that gave it.
    func evidence(solver s: Int, among pitch: [Int32: (tags: [String], words: [String])]) -> [Int32: (tags: [String], words: [String])] {
        evidence(tags: solvers[s].tags, text: solvers[s].text, hits: textHits[pitches.count + s], among: pitch)
    }

    /// The words are the text's again, split as the index split them, and only when a concept
    /// found in it counts: only the members' explanations need them.
    private func evidence(
        tags: [String], text: String, hits: [ConceptReader.Hit], among: [Int32: (tags: [String], words: [String])]?
    ) -> [Int32: (tags: [String], words: [String])] {
        func counts(_ concept: Int32) -> Bool { among.map { $0[concept] != nil } ?? true }
        var result: [Int32: (tags: [String], words: [String])] = [:]
        for tag in tags {
            if let concept = vocabulary.known(tag), counts(concept), !(result[concept]?.tags.contains(tag) ?? false) {
                result[concept, default: ([], [])].tags.append(tag)
            }
        }
        let counted = hits.filter { conceptOfTag[Int($0.tag)].map(counts) ?? false }
        guard !counted.isEmpty else { return result }
        let words = Analyzer.words(text)
        for hit in counted {
            guard let concept = conceptOfTag[Int(hit.tag)] else { continue }
            let named = words[Int(hit.start)..<Int(hit.end)].joined(separator: " ")
            if !(result[concept]?.words.contains(named) ?? false) { result[concept, default: ([], [])].words.append(named) }
        }
        return result
    }

    /// Pairs one side asked for, by pitch.
    var wantedPairs: [(pitch: Int, solver: Int)] {
        interestedPairs.union(shortlistedPairs).sorted().map { (Int($0 >> 32), Int($0 & 0xFFFF_FFFF)) }
    }

    /// The IDF-weighted share of the pitch's concepts that the solver has.
    func tagOverlap(_ p: Int, _ s: Int) -> Float {
        let total = pitchConceptTotal[p]
        guard total > 0 else { return 0 }
        let a = pitchConcepts[p]
        let b = solverConcepts[s]
        var i = 0
        var j = 0
        var shared: Float = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                shared += conceptWeight[Int(a[i])]
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return min(shared / total, 1)
    }

    /// Every factor's value for a pair, given its tag overlap and text cosine.
    func values(_ p: Int, _ s: Int, tags: Float, text: Float) -> FactorValues {
        var values = FactorValues()
        values.tags = tags
        values.text = max(text, 0)
        values.role = pitchRoles[p] == 0 || pitchRoles[p] & (1 << UInt64(solverRole[s])) != 0 ? 1 : 0
        values.language = pitchLanguages[p] & solverLanguages[s] == 0 ? 0 : 1
        let effort = pitchEffort[p]
        values.availability = effort > 0 ? min(solverHours[s] / effort, 1) : 1
        let key = Self.key(p, s)
        var interest: Float = 0
        if !interestedPairs.isEmpty && interestedPairs.contains(key) { interest += 0.5 }
        if !shortlistedPairs.isEmpty && shortlistedPairs.contains(key) { interest += 0.5 }
        values.interest = interest
        values.novelty = meetings.isEmpty ? 1 : 1 / Float(1 + (meetings[key] ?? 0))
        return values
    }

    /// Every factor's value for a pair, computed from scratch.
    func values(_ p: Int, _ s: Int) -> FactorValues {
        values(p, s, tags: tagOverlap(p, s), text: pitchVectors[p].cosine(solverVectors[s]))
    }
}
