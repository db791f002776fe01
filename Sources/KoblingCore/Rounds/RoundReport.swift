/// What a round came to, for the hub's reports: how many pitches got a group and how good the
/// groups are, how people answered, and what the introductions led to.
public struct RoundReport: Encodable, Equatable, Sendable {
    /// A group of the run the report reads, as far as the report needs it.
    public struct Group: Sendable, Equatable {
        public var pitchId: String
        public var memberScores: [Double]
        /// Whether it has every role its pitch marks required.
        public var roleMixMet: Bool

        public init(pitchId: String, memberScores: [Double], roleMixMet: Bool) {
            self.pitchId = pitchId
            self.memberScores = memberScores
            self.roleMixMet = roleMixMet
        }

        /// The mean of its members' scores.
        var score: Double { memberScores.isEmpty ? 0 : memberScores.reduce(0, +) / Double(memberScores.count) }
    }

    public struct Answers: Encodable, Equatable, Sendable {
        /// Answers given, by either side.
        public var interested: Int
        public var notInterested: Int
        /// Sides that had not answered when their proposal expired.
        public var expired: Int
        /// Sides still to answer, before the deadline.
        public var awaiting: Int
    }

    public var roundId: String
    /// The run it reads: the published one, or the latest finished.
    public var runId: String?
    /// Pitches the run took, and those it formed a group for.
    public var pitches: Int
    public var pitchesCovered: Int
    public var meanGroupScore: Double?
    public var leastGroupScore: Double?
    /// Groups with every required role, of those formed.
    public var roleMixMet: Int
    public var proposals: Int
    public var answers: Answers
    /// Proposals both sides said yes to, of the proposals.
    public var acceptanceRate: Double?
    public var introductions: Int
    /// Collaborations whose meeting either side said was held, and where one said "no-show".
    public var meetingsHeld: Int
    public var noShows: Int
    public var collaborations: [String: Int]

    public init(roundId: String, runId: String?, pitches: Int, groups: [Group], proposals: [Proposal], collaborations: [Collaboration]) {
        self.roundId = roundId
        self.runId = runId
        self.pitches = pitches
        pitchesCovered = Set(groups.map(\.pitchId)).count
        meanGroupScore = groups.isEmpty ? nil : groups.map(\.score).reduce(0, +) / Double(groups.count)
        leastGroupScore = groups.map(\.score).min()
        roleMixMet = groups.filter(\.roleMixMet).count
        self.proposals = proposals.count
        let given = proposals.flatMap { [$0.personAnswer, $0.authorAnswer].compactMap { $0 } }
        let expired = proposals.filter { $0.status == .expired }
        answers = Answers(
            interested: given.filter(\.interested).count, notInterested: given.filter { !$0.interested }.count,
            expired: expired.reduce(0) { $0 + ($1.personAnswer == nil ? 1 : 0) + ($1.authorAnswer == nil ? 1 : 0) },
            awaiting: proposals.filter { $0.status == .open }.reduce(0) { $0 + $1.awaiting.count })
        introductions = proposals.filter { $0.status == .introduced }.count
        acceptanceRate = proposals.isEmpty ? nil : Double(introductions) / Double(proposals.count)
        meetingsHeld = collaborations.filter(\.met).count
        noShows = collaborations.filter { !$0.met && ($0.personMeeting == .noShow || $0.authorMeeting == .noShow) }.count
        var byStatus = Dictionary(uniqueKeysWithValues: CollaborationStatus.allCases.map { ($0.rawValue, 0) })
        for collaboration in collaborations { byStatus[collaboration.status.rawValue, default: 0] += 1 }
        self.collaborations = byStatus
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(roundId, forKey: .roundId)
        try container.encode(runId, forKey: .runId)
        try container.encode(pitches, forKey: .pitches)
        try container.encode(pitchesCovered, forKey: .pitchesCovered)
        try container.encode(meanGroupScore, forKey: .meanGroupScore)
        try container.encode(leastGroupScore, forKey: .leastGroupScore)
        try container.encode(roleMixMet, forKey: .roleMixMet)
        try container.encode(proposals, forKey: .proposals)
        try container.encode(answers, forKey: .answers)
        try container.encode(acceptanceRate, forKey: .acceptanceRate)
        try container.encode(introductions, forKey: .introductions)
        try container.encode(meetingsHeld, forKey: .meetingsHeld)
        try container.encode(noShows, forKey: .noShows)
        try container.encode(collaborations, forKey: .collaborations)
    }

    enum CodingKeys: String, CodingKey {
        case roundId, runId, pitches, pitchesCovered, meanGroupScore, leastGroupScore, roleMixMet, proposals, answers
        case acceptanceRate, introductions, meetingsHeld, noShows, collaborations
    }
}
