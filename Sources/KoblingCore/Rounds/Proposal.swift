/// What a published round proposes to one person: to join the group of one pitch. The pitch's
/// author and the person each answer; when both are interested, Kobling introduces them and a
/// collaboration begins. Answers change until the round's deadline, unless both said yes (an
/// introduction cannot be taken back); proposals unanswered at the deadline expire.
public struct Proposal: Codable, Equatable, Sendable {
    public var id: String
    public var roundId: String
    public var runId: String
    public var pitchId: String
    public var pitchTitle: String
    /// The person proposed, and the pitch's author.
    public var personId: String
    public var authorId: String
    /// Everyone the run put in the pitch's group, this person included.
    public var group: [String]
    public var personAnswer: ProposalAnswer?
    public var authorAnswer: ProposalAnswer?
    public var status: ProposalStatus
    public var deadline: String
    /// The collaboration recorded when both said yes.
    public var collaborationId: String?
    public var createdAt: String
    public var updatedAt: String

    public init(
        id: String, roundId: String, runId: String, pitchId: String, pitchTitle: String, personId: String, authorId: String,
        group: [String], deadline: String, now: String
    ) {
        self.id = id
        self.roundId = roundId
        self.runId = runId
        self.pitchId = pitchId
        self.pitchTitle = pitchTitle
        self.personId = personId
        self.authorId = authorId
        self.group = group
        status = .open
        self.deadline = deadline
        createdAt = now
        updatedAt = now
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(roundId, forKey: .roundId)
        try container.encode(runId, forKey: .runId)
        try container.encode(pitchId, forKey: .pitchId)
        try container.encode(pitchTitle, forKey: .pitchTitle)
        try container.encode(personId, forKey: .personId)
        try container.encode(authorId, forKey: .authorId)
        try container.encode(group, forKey: .group)
        try container.encode(personAnswer, forKey: .personAnswer)
        try container.encode(authorAnswer, forKey: .authorAnswer)
        try container.encode(status, forKey: .status)
        try container.encode(deadline, forKey: .deadline)
        try container.encode(collaborationId, forKey: .collaborationId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    /// Which side of a proposal answers.
    public enum Side: String, Sendable {
        case person, author
    }

    /// The side `personId` is on, or nil when they are neither.
    public func side(of personId: String) -> Side? {
        if personId == self.personId { return .person }
        if personId == authorId { return .author }
        return nil
    }

    /// The proposal with `side`'s answer. Past the deadline, or once both said yes, answers are
    /// final (409).
    public func answered(by side: Side, interested: Bool, note: String?, now: String) throws(KoblingError) -> Proposal {
        switch status {
        case .introduced: throw .conflict("Both sides said yes and were introduced; the answers are final.")
        case .expired: throw .conflict("The proposal expired at its deadline, \(deadline).")
        case .open, .declined: break
        }
        guard now < deadline else { throw .conflict("The deadline, \(deadline), has passed; answers are final.") }
        var result = self
        let answer = ProposalAnswer(interested: interested, note: note, answeredAt: now)
        switch side {
        case .person: result.personAnswer = answer
        case .author: result.authorAnswer = answer
        }
        result.status = result.personAnswer?.interested == false || result.authorAnswer?.interested == false ? .declined
            : result.personAnswer?.interested == true && result.authorAnswer?.interested == true ? .introduced : .open
        result.updatedAt = now
        return result
    }

    /// At the deadline: open proposals expire; the others stay as they are.
    public func expired(now: String) -> Proposal {
        guard status == .open else { return self }
        var result = self
        result.status = .expired
        result.updatedAt = now
        return result
    }

    /// Who still has to answer: the sides without an answer, while the proposal is open.
    public var awaiting: [String] {
        guard status == .open else { return [] }
        return [personAnswer == nil ? personId : nil, authorAnswer == nil ? authorId : nil].compactMap { $0 }
    }

    /// The pair said "no thanks" (either side): no later round proposes it again.
    public var isDeclined: Bool { status == .declined }
}

public struct ProposalAnswer: Codable, Equatable, Sendable {
    public var interested: Bool
    public var note: String?
    public var answeredAt: String

    public init(interested: Bool, note: String?, answeredAt: String) {
        self.interested = interested
        self.note = note
        self.answeredAt = answeredAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(interested, forKey: .interested)
        try container.encode(note, forKey: .note)
        try container.encode(answeredAt, forKey: .answeredAt)
    }
}

public enum ProposalStatus: String, Codable, CaseIterable, Sendable {
    /// Waiting for an answer from at least one side.
    case open
    /// Both said yes: introduced, and a collaboration recorded.
    case introduced
    /// One side said "no thanks".
    case declined
    /// Still open at the deadline.
    case expired
}
