/// The rules of an emailed link that verifies an address: what asking for one means, and what
/// opening one does. Storage keeps the links and applies the outcome.
public enum AddressVerification {
    /// What a request for a link to `requested` is, for an account with `current` as its address.
    public enum Request: Sendable, Equatable {
        /// The account's own address, not yet verified: the link proves it.
        case verifyCurrent
        /// Another address: it replaces the current one once its link is opened.
        case change
    }

    /// What opening a link does.
    public enum Outcome: Sendable, Equatable {
        /// The account's address is now verified.
        case verified
        /// The account's address is now the link's, verified; `previous` is told.
        case changed(previous: String)
    }

    /// Refused when the address is the account's already and verified, or another account's.
    public static func request(
        _ requested: String, current: String, currentVerified: Bool, takenByAnother: Bool
    ) throws(KoblingError) -> Request {
        if requested == current {
            guard !currentVerified else { throw .conflict("This address is the account's already, and verified.") }
            return .verifyCurrent
        }
        guard !takenByAnother else { throw .conflict("Another account has this email.") }
        return .change
    }

    /// A link works once, until it expires; one to another address works only while no other
    /// account has taken that address meanwhile. Timestamps are RFC 3339 in UTC, which compare as
    /// text.
    public static func open(
        linkEmail: String, usedAt: String?, expiresAt: String, now: String, current: String, takenByAnother: Bool
    ) throws(KoblingError) -> Outcome {
        guard usedAt == nil, expiresAt > now else {
            throw .invalid("/token", "This link is unknown, used or expired; ask for a new one.")
        }
        guard linkEmail != current else { return .verified }
        guard !takenByAnother else { throw .conflict("Another account has this email now.") }
        return .changed(previous: current)
    }
}
