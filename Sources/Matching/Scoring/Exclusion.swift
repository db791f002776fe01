/// Why a pair is never scored nor matched.
public enum Exclusion: String, Sendable, CaseIterable {
    /// The solver did not agree to be matched.
    case noConsent
    /// The solver belongs to the organisation of the pitch's author.
    case sameOrganisation
    /// The solver declared a conflict with the pitch or its organisation.
    case declaredConflict
    /// An organiser blocked the pair.
    case blocked
    /// The solver said "no thanks" to the pitch.
    case solverDeclined
    /// The clinician said "no thanks" to the solver.
    case pitchDeclined
    /// The pitch requires a shared language and they have none.
    case noSharedLanguage

    public var description: String {
        switch self {
        case .noConsent: "the solver has not consented to be matched"
        case .sameOrganisation: "the solver belongs to the pitch author's organisation"
        case .declaredConflict: "the solver declared a conflict of interest"
        case .blocked: "an organiser blocked the pair"
        case .solverDeclined: "the solver declined the pitch"
        case .pitchDeclined: "the clinician declined the solver"
        case .noSharedLanguage: "the pitch requires a shared language and they have none"
        }
    }
}
