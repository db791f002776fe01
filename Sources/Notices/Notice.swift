import KoblingCore

/// An email that is not a newsletter: what it is about, and the values its templates show.
/// Each kind has a template in every language, as a subject, plain text and HTML.
public enum Notice: Sendable, Equatable {
    /// Asks a new subscriber to confirm a mailing list (double opt-in).
    case subscriptionConfirmation(name: String?, listName: String, consentText: String, link: String, hours: Int)
    /// Asks a new member to verify the address they signed up with.
    case addressVerification(name: String?, link: String, hours: Int)
    /// Sent to a new address a member wants to use instead of their current one.
    case addressChange(name: String?, newEmail: String, link: String, hours: Int)
    /// Tells the old address that the account now uses another one.
    case addressChanged(name: String?, newEmail: String)
    /// A link to choose a new password.
    case passwordReset(link: String, minutes: Int)

    /// The template's file name, before `.LANGUAGE.txt.mustache` and `.LANGUAGE.html.mustache`.
    public var template: String {
        switch self {
        case .subscriptionConfirmation: "subscription-confirmation"
        case .addressVerification: "address-verification"
        case .addressChange: "address-change"
        case .addressChanged: "address-changed"
        case .passwordReset: "password-reset"
        }
    }

    /// What the templates may show. A value that is not known is left out, so that a template's
    /// `{{#name}}…{{/name}}` section says something else.
    var values: [String: String] {
        var values: [String: String] = [:]
        func set(_ key: String, _ value: String?) { if let value, !value.isEmpty { values[key] = value } }
        switch self {
        case let .subscriptionConfirmation(name, listName, consentText, link, hours):
            set("name", name); set("listName", listName); set("consentText", consentText); set("link", link); set("hours", String(hours))
        case let .addressVerification(name, link, hours):
            set("name", name); set("link", link); set("hours", String(hours))
        case let .addressChange(name, newEmail, link, hours):
            set("name", name); set("newEmail", newEmail); set("link", link); set("hours", String(hours))
        case let .addressChanged(name, newEmail):
            set("name", name); set("newEmail", newEmail)
        case let .passwordReset(link, minutes):
            set("link", link); set("minutes", String(minutes))
        }
        return values
    }

    /// One notice of each kind, with every value filled in, to check that all templates render.
    public static let examples: [Notice] = [
        .subscriptionConfirmation(name: "Ida", listName: "Kobling News", consentText: "Monthly news.", link: "https://example.org/c?t=1", hours: 48),
        .addressVerification(name: "Ida", link: "https://example.org/v?t=1", hours: 48),
        .addressChange(name: "Ida", newEmail: "ida@example.org", link: "https://example.org/v?t=1", hours: 48),
        .addressChanged(name: "Ida", newEmail: "ida@example.org"),
        .passwordReset(link: "https://example.org/r?t=1", minutes: 60),
    ]
}

/// A notice written out in one language.
public struct RenderedNotice: Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String
}
