/// A startup's request for a mentor: what it needs (tags and its own words), how many hours a
/// month it wants, and who asks. It is kept as a pitch of kind `mentoring` that asks for one
/// mentor, so that a mentoring round runs on the same engine, with the same proposals, mutual
/// opt-in and introductions as a round of pitches; this is how it is shown and changed.
///
/// Its life: open (it enters mentoring rounds) → matched (a mentor and the startup both said
/// yes) → closed, or withdrawn by the startup while it is open.
public struct MentoringRequest: Encodable, Equatable, Sendable {
    public var id: String
    public var title: String
    /// The need, in the startup's words.
    public var text: String
    public var language: PreferredLanguage
    /// Tag ids: what the mentor should know.
    public var needs: [String]
    public var hoursWanted: Int?
    /// The person who asks, and their startup.
    public var requesterId: String
    public var organisationId: String?
    public var status: MentoringStatus
    public var createdAt: String
    public var updatedAt: String
    /// Not in the JSON: it travels as the ETag.
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case id, title, text, language, needs, hoursWanted, requesterId, organisationId, status, createdAt, updatedAt
    }

    /// The request a pitch of kind `mentoring` holds.
    public init(_ pitch: Pitch) {
        id = pitch.id
        title = pitch.title
        text = pitch.problem
        language = pitch.language
        needs = pitch.tags
        hoursWanted = pitch.effortHoursPerMonth
        requesterId = pitch.authorId
        organisationId = pitch.organisationId
        status = MentoringStatus(pitch.status)
        createdAt = pitch.createdAt
        updatedAt = pitch.updatedAt
        version = pitch.version
    }

    /// Every field, the absent ones as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(text, forKey: .text)
        try c.encode(language, forKey: .language)
        try c.encode(needs, forKey: .needs)
        try c.encode(hoursWanted, forKey: .hoursWanted)
        try c.encode(requesterId, forKey: .requesterId)
        try c.encode(organisationId, forKey: .organisationId)
        try c.encode(status, forKey: .status)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

public enum MentoringStatus: String, Codable, CaseIterable, Sendable {
    case open, matched, withdrawn, closed

    /// The status of the pitch that holds the request.
    public init(_ status: PitchStatus) {
        switch status {
        case .matched: self = .matched
        case .withdrawn: self = .withdrawn
        case .closed: self = .closed
        case .draft, .submitted, .approved, .returned: self = .open
        }
    }

    public var pitchStatus: PitchStatus {
        switch self {
        case .open: .approved
        case .matched: .matched
        case .withdrawn: .withdrawn
        case .closed: .closed
        }
    }
}

/// What the startup (or an organiser) does to a request: `POST /v1/mentoring-requests/{id}/{action}`.
public enum MentoringAction: String, CaseIterable, Sendable {
    case withdraw, close

    public var from: [MentoringStatus] {
        switch self {
        case .withdraw: [.open]
        case .close: [.open, .matched]
        }
    }
}

/// Reads a mentoring request from a merge patch into the pitch that holds it.
public enum MentoringChanges {
    public static let fields: Set<String> = ["title", "text", "language", "needs", "hoursWanted", "organisationId"]

    /// A new request: one mentor wanted, a group of one, seen by members, open at once.
    public static func blank(id: String, requesterId: String, now: String) -> Pitch {
        var pitch = Pitch(id: id, authorId: requesterId, now: now)
        pitch.kind = .mentoring
        pitch.roles = [RoleWanted(role: .mentor, count: 1, required: true)]
        pitch.groupSize = GroupSize(min: 1, max: 1)
        pitch.visibility = .members
        pitch.status = .approved
        pitch.submittedAt = now
        pitch.approvedAt = now
        return pitch
    }

    /// Validates a new request (`creating`: title, text and language are required) or a patch
    /// to an open one; a 422 names each field that is wrong, a request no longer open is a 409.
    public static func apply(_ body: JSONValue, to pitch: Pitch, creating: Bool, now: String) throws(KoblingError) -> Pitch {
        if !creating && pitch.status != .approved {
            throw .conflict("The request is \(MentoringStatus(pitch.status).rawValue) and can no longer be changed.")
        }
        var patch = try MergePatch(body, allowed: fields)
        var result = pitch
        if case .set(let title) = patch.string("title", maxLength: 200, allowEmpty: false, required: creating) { result.title = title }
        if case .set(let text) = patch.string("text", maxLength: 10_000, allowEmpty: false, required: creating) { result.problem = text }
        if case .set(let raw) = patch.string("language", maxLength: 2, required: creating) {
            if let language = PreferredLanguage(rawValue: raw) {
                result.language = language
            } else {
                patch.validator.add("/language", "The language of the text: da or en.")
            }
        }
        if case .set(let needs) = patch.strings("needs", maxCount: 30, maxLength: 80) { result.tags = PersonChanges.unique(needs) }
        patch.integer("hoursWanted", nullable: true, range: 0...744).apply(to: &result.effortHoursPerMonth)
        patch.string("organisationId", nullable: true, maxLength: 100).apply(to: &result.organisationId)
        try patch.validator.finish()
        guard result != pitch else { return pitch }
        result.updatedAt = now
        if !creating { result.version = pitch.version + 1 }
        return result
    }

    /// The request's pitch after `action`, or a conflict naming the status it is in.
    public static func applying(_ action: MentoringAction, to pitch: Pitch, now: String) throws(KoblingError) -> Pitch {
        let status = MentoringStatus(pitch.status)
        guard action.from.contains(status) else {
            let allowed = action.from.map(\.rawValue).joined(separator: " or ")
            throw .conflict("The request is \(status.rawValue); \(action.rawValue) applies only to a request that is \(allowed).")
        }
        var result = pitch
        result.status = action == .withdraw ? .withdrawn : .closed
        result.updatedAt = now
        result.version = pitch.version + 1
        return result
    }
}
