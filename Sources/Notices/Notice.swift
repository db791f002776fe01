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
    /// A published round's proposals to one person: the groups they are proposed for, and the
    /// people proposed for their pitches. `mentoring`: the round matches mentors to startups'
    /// mentoring requests, and says so.
    case roundProposals(name: String?, roundName: String, deadline: String, items: [ProposalLine], mentoring: Bool = false)
    /// A day before the deadline, the proposals they have not answered.
    case roundReminder(name: String?, roundName: String, deadline: String, items: [ProposalLine], mentoring: Bool = false)
    /// Both said yes: the other side's contact details.
    case introduction(
        name: String?, pitchTitle: String, otherName: String, otherEmail: String, otherHeadline: String?, otherNote: String?,
        mentoring: Bool = false)
    /// A person's meetings at a round's matchmaking session: when, at which table, about which
    /// pitch, with whom.
    case sessionMeetings(name: String?, roundName: String, meetings: [MeetingLine])

    /// The template's file name, before `.LANGUAGE.txt.mustache` and `.LANGUAGE.html.mustache`.
    public var template: String {
        switch self {
        case .subscriptionConfirmation: "subscription-confirmation"
        case .addressVerification: "address-verification"
        case .addressChange: "address-change"
        case .addressChanged: "address-changed"
        case .passwordReset: "password-reset"
        case .roundProposals: "round-proposals"
        case .roundReminder: "round-reminder"
        case .introduction: "introduction"
        case .sessionMeetings: "session-meetings"
        }
    }

    /// What the templates may show. A value that is not known is left out, so that a template's
    /// `{{#name}}…{{/name}}` section says something else.
    var values: [String: Any] {
        var values: [String: Any] = [:]
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
        case let .roundProposals(name, roundName, deadline, items, mentoring), let .roundReminder(name, roundName, deadline, items, mentoring):
            set("name", name); set("roundName", roundName); set("deadline", deadline)
            values["groups"] = items.filter { !$0.asAuthor }.map(\.values)
            values["proposed"] = items.filter(\.asAuthor).map(\.values)
            if mentoring { values["mentoring"] = true }
        case let .introduction(name, pitchTitle, otherName, otherEmail, otherHeadline, otherNote, mentoring):
            set("name", name); set("pitchTitle", pitchTitle); set("otherName", otherName); set("otherEmail", otherEmail)
            set("otherHeadline", otherHeadline); set("otherNote", otherNote)
            if mentoring { values["mentoring"] = true }
        case let .sessionMeetings(name, roundName, meetings):
            set("name", name); set("roundName", roundName)
            values["meetings"] = meetings.map(\.values)
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
        .roundProposals(name: "Ida", roundName: "Efterår 2026", deadline: "2026-12-18 16:00 UTC", items: [
            ProposalLine(pitchTitle: "Øjenstyring for patienter", others: "Ali Rahimi, Maja Holm", asAuthor: false),
            ProposalLine(pitchTitle: "Høretest hjemme", others: "Jonas Vinter", asAuthor: true),
        ]),
        .roundReminder(name: "Ida", roundName: "Efterår 2026", deadline: "2026-12-18 16:00 UTC", items: [
            ProposalLine(pitchTitle: "Øjenstyring for patienter", others: "", asAuthor: false),
        ]),
        .introduction(name: "Ida", pitchTitle: "Øjenstyring for patienter", otherName: "Lene Holm", otherEmail: "lene@example.org",
                      otherHeadline: "Overlæge", otherNote: "Glæder mig!"),
        .roundProposals(name: "Ida", roundName: "Mentorer 2026", deadline: "2026-12-18 16:00 UTC", items: [
            ProposalLine(pitchTitle: "CE-mærkning af vores software", others: "Eva Holm", asAuthor: false),
            ProposalLine(pitchTitle: "Kameraer til øjenstyring", others: "Karl Berg", asAuthor: true),
        ], mentoring: true),
        .roundReminder(name: "Ida", roundName: "Mentorer 2026", deadline: "2026-12-18 16:00 UTC", items: [
            ProposalLine(pitchTitle: "Kameraer til øjenstyring", others: "Karl Berg", asAuthor: true),
        ], mentoring: true),
        .introduction(name: "Ida", pitchTitle: "Kameraer til øjenstyring", otherName: "Karl Berg", otherEmail: "karl@example.org",
                      otherHeadline: "Mentor", otherNote: nil, mentoring: true),
        .sessionMeetings(name: "Ida", roundName: "Match-runde december", meetings: [
            MeetingLine(time: "2026-12-10 13:00–13:20 UTC", table: 2, pitchTitle: "Øjenstyring for patienter", others: "Lene Holm, Ali Khan"),
            MeetingLine(time: "2026-12-10 13:20–13:40 UTC", table: 1, pitchTitle: "Høretest derhjemme", others: "Mia Berg"),
        ]),
    ]
}

/// One proposal in a round's email: the pitch, and the others in the group (for a member) or
/// the person proposed (for the pitch's author).
public struct ProposalLine: Sendable, Equatable {
    public var pitchTitle: String
    public var others: String
    public var asAuthor: Bool

    public init(pitchTitle: String, others: String, asAuthor: Bool) {
        self.pitchTitle = pitchTitle
        self.others = others
        self.asAuthor = asAuthor
    }

    var values: [String: String] {
        others.isEmpty ? ["pitchTitle": pitchTitle] : ["pitchTitle": pitchTitle, "others": others]
    }
}

/// One meeting at a matchmaking session, as its email shows it.
public struct MeetingLine: Sendable, Equatable {
    public var time: String
    public var table: Int
    public var pitchTitle: String
    public var others: String

    public init(time: String, table: Int, pitchTitle: String, others: String) {
        self.time = time
        self.table = table
        self.pitchTitle = pitchTitle
        self.others = others
    }

    var values: [String: String] {
        var values = ["time": time, "table": String(table), "pitchTitle": pitchTitle]
        if !others.isEmpty { values["others"] = others }
        return values
    }
}

/// A notice written out in one language.
public struct RenderedNotice: Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String
}
