/// What came of an introduction: a pitch's author and a person exploring the problem together,
/// then working on it, perhaps founding a startup, until it ends. Each side says whether their
/// first meeting took place.
public struct Collaboration: Codable, Equatable, Sendable {
    public var id: String
    public var roundId: String
    public var proposalId: String
    public var pitchId: String
    public var personId: String
    public var authorId: String
    public var status: CollaborationStatus
    public var outcomeNote: String?
    /// What each side said of the meeting.
    public var personMeeting: MeetingOutcome?
    public var authorMeeting: MeetingOutcome?
    public var createdAt: String
    public var updatedAt: String
    /// Not in the JSON: the stored row's version.
    public var version = 1

    enum CodingKeys: String, CodingKey {
        case id, roundId, proposalId, pitchId, personId, authorId, status, outcomeNote, personMeeting, authorMeeting, createdAt, updatedAt
    }

    public init(id: String, proposal: Proposal, now: String) {
        self.id = id
        roundId = proposal.roundId
        proposalId = proposal.id
        pitchId = proposal.pitchId
        personId = proposal.personId
        authorId = proposal.authorId
        status = .exploring
        createdAt = now
        updatedAt = now
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(roundId, forKey: .roundId)
        try container.encode(proposalId, forKey: .proposalId)
        try container.encode(pitchId, forKey: .pitchId)
        try container.encode(personId, forKey: .personId)
        try container.encode(authorId, forKey: .authorId)
        try container.encode(status, forKey: .status)
        try container.encode(outcomeNote, forKey: .outcomeNote)
        try container.encode(personMeeting, forKey: .personMeeting)
        try container.encode(authorMeeting, forKey: .authorMeeting)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    /// Whether the meeting took place, as far as the sides said: held when either says so.
    public var met: Bool { personMeeting == .held || authorMeeting == .held }

    /// A merge patch of `status` and `outcomeNote`. An ended collaboration stays ended.
    public func changed(by body: JSONValue, now: String) throws(KoblingError) -> Collaboration {
        var patch = try MergePatch(body, allowed: ["status", "outcomeNote"])
        var result = self
        if case .set(let raw) = patch.string("status", maxLength: 30) {
            if let status = CollaborationStatus(rawValue: raw) {
                if self.status == .ended && status != .ended {
                    patch.validator.add("/status", "The collaboration ended; record a new one instead.")
                }
                result.status = status
            } else {
                patch.validator.add("/status", "Expected one of \(CollaborationStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
        }
        patch.string("outcomeNote", nullable: true, maxLength: 5_000).apply(to: &result.outcomeNote)
        try patch.validator.finish()
        if result != self { result.updatedAt = now }
        return result
    }
}

public enum CollaborationStatus: String, Codable, CaseIterable, Sendable {
    case exploring, active, startupFounded, ended
}

public enum MeetingOutcome: String, Codable, CaseIterable, Sendable {
    case held
    case noShow = "no-show"
}
