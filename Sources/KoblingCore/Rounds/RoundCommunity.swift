/// Everything a run of a round reads, as Storage found it when the run began: the round's
/// settings, its approved pitches with their shortlists, the people it may match with what they
/// said, the tag taxonomy, and the organiser's locks and blocks.
public struct RoundCommunity: Sendable {
    public struct Candidate: Sendable, Equatable {
        public var pitch: Pitch
        public var shortlisted: [String]
        /// People its author said "no thanks" to in an earlier round.
        public var declined: [String]

        public init(pitch: Pitch, shortlisted: [String] = [], declined: [String] = []) {
            self.pitch = pitch
            self.shortlisted = shortlisted
            self.declined = declined
        }
    }

    /// A person who may be matched, with the role they take in this round.
    public struct Member: Sendable, Equatable {
        public var id: String
        public var role: PersonRole
        public var tags: [String]
        /// Their headline and bio.
        public var text: String
        public var languages: [String]
        public var hoursPerMonth: Int?
        /// The organisations they belong to: the first counts as theirs, the others as declared
        /// conflicts, so that no member of a pitch's organisation is matched to it.
        public var organisations: [String]
        /// Pitches they said they are interested in.
        public var interested: [String]
        /// Pitches they said "no thanks" to in an earlier round.
        public var declined: [String]
        /// Declared conflicts of interest (pitch or organisation ids), and the pitches they wrote.
        public var conflicts: [String]
        /// The most groups they join in this round.
        public var capacity: Int

        public init(
            id: String, role: PersonRole, tags: [String] = [], text: String = "", languages: [String] = [], hoursPerMonth: Int? = nil,
            organisations: [String] = [], interested: [String] = [], declined: [String] = [], conflicts: [String] = [],
            capacity: Int = 1
        ) {
            self.capacity = capacity
            self.id = id
            self.role = role
            self.tags = tags
            self.text = text
            self.languages = languages
            self.hoursPerMonth = hoursPerMonth
            self.organisations = organisations
            self.interested = interested
            self.declined = declined
            self.conflicts = conflicts
        }
    }

    public struct Pair: Codable, Sendable, Hashable {
        public var pitchId: String
        public var personId: String

        public init(pitchId: String, personId: String) {
            self.pitchId = pitchId
            self.personId = personId
        }
    }

    public var round: Round
    public var pitches: [Candidate]
    public var members: [Member]
    public var tags: [Tag]
    public var locked: [Pair]
    public var blocked: [Pair]
    /// Pairs introduced in earlier rounds, once an introduction: they score lower on novelty.
    public var met: [Pair] = []

    public init(round: Round, pitches: [Candidate], members: [Member], tags: [Tag], locked: [Pair] = [], blocked: [Pair] = []) {
        self.round = round
        self.pitches = pitches
        self.members = members
        self.tags = tags
        self.locked = locked
        self.blocked = blocked
    }
}

extension Round {
    /// The role a person with `roles`, `tags` and `organisations` takes in the round, or nil when
    /// it does not match them: a mentoring round matches mentors only, narrowed by the
    /// selection's tags and organisations.
    public func role(of roles: [PersonRole], tags: [String], organisations: [String]) -> PersonRole? {
        solvers.role(of: roles, tags: tags, organisations: organisations, among: kind == .mentoring ? [.mentor] : solvers.matchedRoles)
    }

    /// How many groups a member joins: in a mentoring round, the mentees a mentor takes (their
    /// own number, else the round's); otherwise the round's capacity.
    public func capacity(of menteeCapacity: Int?) -> Int {
        kind == .mentoring ? menteeCapacity ?? capacity : capacity
    }
}

extension SolverSelection {
    /// The role a person with `roles`, `tags` and `organisations` takes in a round of this
    /// selection, the first of `among` they have, or nil when the round does not match them.
    public func role(of roles: [PersonRole], tags: [String], organisations: [String], among: [PersonRole]) -> PersonRole? {
        guard let role = among.first(where: roles.contains) else { return nil }
        if !self.tags.isEmpty && !tags.contains(where: self.tags.contains) { return nil }
        if !self.organisations.isEmpty && !organisations.contains(where: self.organisations.contains) { return nil }
        return role
    }
}

extension PitchSelection {
    /// Whether an approved pitch is in a round of this selection.
    public func admits(_ pitch: Pitch) -> Bool {
        if let ids { return ids.contains(pitch.id) }
        if !tags.isEmpty && !(pitch.tags + [pitch.clinicalDomain].compactMap { $0 }).contains(where: tags.contains) { return false }
        if !roles.isEmpty && !pitch.roles.contains(where: { roles.contains($0.role) }) { return false }
        if !languages.isEmpty && !(pitch.languages + [pitch.language.rawValue]).contains(where: languages.contains) { return false }
        return true
    }
}
