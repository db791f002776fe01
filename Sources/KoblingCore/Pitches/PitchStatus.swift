/// A pitch's life: a draft is submitted, an organiser approves it or returns it with a reason, an
/// approved pitch enters match rounds and is matched, and ends closed; its author may withdraw it
/// until it is matched.
public enum PitchStatus: String, CaseIterable, Codable, Sendable {
    case draft, submitted, approved, returned, matched, closed, withdrawn

    /// Seen by members (and by anyone when public) besides its author and the organisers.
    public var isListed: Bool { self == .approved || self == .matched }

    /// Its author may still change what it says.
    public var isEditable: Bool { [.draft, .submitted, .returned, .approved].contains(self) }

    /// Statuses in which it can be deleted: it has not been in a round's proposals.
    public var isDeletable: Bool { ![.matched, .closed].contains(self) }
}

/// What the author or an organiser does to a pitch (`POST /v1/pitches/{id}/{action}`).
public enum PitchAction: String, CaseIterable, Sendable {
    case submit, approve, `return`, withdraw, close

    /// The statuses the action applies to.
    public var from: [PitchStatus] {
        switch self {
        case .submit: [.draft, .returned]
        case .approve, .return: [.submitted]
        case .withdraw: [.draft, .submitted, .returned, .approved]
        case .close: [.approved, .matched]
        }
    }

    public var to: PitchStatus {
        switch self {
        case .submit: .submitted
        case .approve: .approved
        case .return: .returned
        case .withdraw: .withdrawn
        case .close: .closed
        }
    }

    /// Approving and returning are the organisers' review; the rest is the author's (or an
    /// organiser's on their behalf).
    public var isReview: Bool { self == .approve || self == .return }
}

extension Pitch {
    /// The pitch after `action`, or a conflict naming the status it is in. Returning needs a
    /// reason, which the author sees until they submit again.
    public func applying(_ action: PitchAction, reason: String?, now: String) throws(KoblingError) -> Pitch {
        guard action.from.contains(status) else {
            let allowed = action.from.map(\.rawValue).joined(separator: ", ")
            throw .conflict("The pitch is \(status.rawValue); \(action.rawValue) applies only to a pitch that is \(allowed).")
        }
        if action == .return && (reason ?? "").isEmpty {
            throw .invalid("/reason", "Say why the pitch is returned: its author reads it.")
        }
        var result = self
        result.status = action.to
        result.returnReason = action == .return ? reason : nil
        switch action {
        case .submit: result.submittedAt = now
        case .approve: result.approvedAt = now
        default: break
        }
        result.updatedAt = now
        result.version += 1
        return result
    }

    /// The pitch after a change to what it says: an approved pitch that its author changed goes
    /// back to the organisers for approval (an organiser's change is approved as made); one that
    /// is matched, closed or withdrawn cannot change.
    public func edited(into changed: Pitch, byOrganiser: Bool, now: String) throws(KoblingError) -> Pitch {
        guard changed != self else { return self }
        guard status.isEditable else {
            throw .conflict("The pitch is \(status.rawValue) and can no longer be changed.")
        }
        var result = changed
        if status == .approved && !byOrganiser {
            result.status = .submitted
            result.submittedAt = now
            result.approvedAt = nil
        }
        result.updatedAt = now
        result.version = version + 1
        return result
    }
}

extension Pitch {
    /// A published round formed a group for it: an approved pitch becomes matched (a matched
    /// one stays so).
    public func matched(now: String) -> Pitch {
        guard status == .approved else { return self }
        var result = self
        result.status = .matched
        result.updatedAt = now
        result.version = version + 1
        return result
    }
}

/// Who may follow a pitch: members say they are interested while it is approved (its author
/// does not), and its author shortlists anyone but themself.
public enum PitchFollowing {
    public static func checkInterest(status: PitchStatus, authorId: String, from personId: String) throws(KoblingError) {
        if authorId == personId { throw .conflict("This is your own pitch.") }
        guard status == .approved else {
            throw .conflict("The pitch is \(status.rawValue); interest is taken while it is approved.")
        }
    }

    public static func checkShortlisting(_ personId: String, authorId: String) throws(KoblingError) {
        if authorId == personId { throw .conflict("The author is not shortlisted for their own pitch.") }
    }
}
