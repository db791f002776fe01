import Foundation
import KoblingCore
import Mail
import Notices
import Storage

/// Notices as outbox mail: rendered from their templates in the recipient's language (the hub's
/// default when they have not chosen one), as text and HTML.
struct NoticeMail: Sendable {
    let templates: NoticeTemplates
    let configuration: AppConfiguration

    init(configuration: AppConfiguration) throws {
        let sender = configuration.sender
        templates = try NoticeTemplates(
            signature: sender.name ?? "Kobling", overrides: configuration.templatesDirectory.map { URL(fileURLWithPath: $0) })
        self.configuration = configuration
    }

    func message(_ notice: Notice, to recipient: Mailbox, language: PreferredLanguage?) throws -> MailMessage {
        let rendered = try templates.render(notice, in: language ?? configuration.defaultLanguage)
        return MailMessage(from: configuration.sender, to: [recipient], subject: rendered.subject, text: rendered.text, html: rendered.html)
    }

    /// The notice as an outbox entry of `kind`.
    func outbox(_ kind: String, _ notice: Notice, to recipient: Mailbox, language: PreferredLanguage?) throws -> OutboxMail {
        OutboxMail(kind: kind, recipient: recipient.address, message: try JSONEncoder().encode(message(notice, to: recipient, language: language)))
    }
}

extension AppServices {
    /// A new link that verifies `email`, and the email that carries it: for a new account's own
    /// address, or, when `change` is set, for the address an account asked to change to.
    func addressVerification(to email: EmailAddress, name: String?, language: PreferredLanguage?, change: Bool = false) throws -> AddressVerificationRequest {
        let token = SecretToken.generate()
        let link = configuration.publicLink("/verify-email?token=\(token)")
        let hours = Int(configuration.verificationLifetime / 3600)
        let notice: Notice = change
            ? .addressChange(name: name, newEmail: email.value, link: link, hours: hours)
            : .addressVerification(name: name, link: link, hours: hours)
        return AddressVerificationRequest(
            tokenHash: SecretToken.hash(token), email: email, lifetime: configuration.verificationLifetime,
            mail: try notices.outbox(MailKind.addressVerification, notice, to: Mailbox(email.value, name: name), language: language))
    }

    /// Opens a verification link (from the API or the link's page): the address becomes the
    /// account's, verified. When it replaces another, the previous address is told.
    func verifyAddress(token: String) async throws -> AddressVerified {
        let notices = self.notices
        let verified = try await database.verifyAddress(tokenHash: SecretToken.hash(token)) { account, previous in
            try notices.outbox(
                MailKind.addressChanged, .addressChanged(name: nil, newEmail: account.email), to: Mailbox(previous), language: account.language)
        }
        if verified.previousEmail != nil { outbox.wake() }
        return verified
    }
}

extension NoticeMail {
    /// A round's proposals, or the reminder of those unanswered, for one person.
    func digest(_ digest: ProposalDigest, reminder: Bool) throws -> OutboxMail {
        let items = digest.items.map { ProposalLine(pitchTitle: $0.pitchTitle, others: $0.others.joined(separator: ", "), asAuthor: $0.asAuthor) }
        let deadline = Self.readable(digest.deadline)
        let name = digest.recipient.name
        let notice: Notice = reminder
            ? .roundReminder(name: name, roundName: digest.roundName, deadline: deadline, items: items, mentoring: digest.kind == .mentoring)
            : .roundProposals(name: name, roundName: digest.roundName, deadline: deadline, items: items, mentoring: digest.kind == .mentoring)
        return try outbox(reminder ? MailKind.roundReminder : MailKind.roundProposals, notice,
                          to: Mailbox(digest.recipient.email, name: name), language: digest.recipient.language)
    }

    /// The introduction of `other` to the recipient.
    func introduction(_ mail: IntroductionMail) throws -> OutboxMail {
        let notice = Notice.introduction(
            name: mail.recipient.name, pitchTitle: mail.pitchTitle, otherName: mail.other.name, otherEmail: mail.other.email,
            otherHeadline: mail.other.headline, otherNote: mail.otherNote, mentoring: mail.kind == .mentoring)
        return try outbox(MailKind.introduction, notice, to: Mailbox(mail.recipient.email, name: mail.recipient.name), language: mail.recipient.language)
    }

    /// A timestamp as people read it: "2026-12-18 16:00 UTC".
    /// A person's meetings at a round's session: each slot's date and times, table, pitch and
    /// the others at it.
    func meetings(_ mail: MeetingsMail) throws -> OutboxMail {
        let lines = mail.meetings.map { meeting in
            let start = Self.readable(meeting.start), end = Self.readable(meeting.end)
            // "2026-12-10 13:00–13:20 UTC" when the slot ends the same day.
            let time = start.prefix(10) == end.prefix(10) && start.hasSuffix(" UTC") && end.count >= 16
                ? String(start.dropLast(4)) + "–" + String(end.dropFirst(11))
                : start + " – " + end
            let others = meeting.people.filter { $0.personId != mail.recipient.personId }.map(\.name).joined(separator: ", ")
            return MeetingLine(time: time, table: meeting.table, pitchTitle: meeting.pitchTitle, others: others)
        }
        return try outbox(MailKind.sessionMeetings, .sessionMeetings(name: mail.recipient.name, roundName: mail.roundName, meetings: lines),
                          to: Mailbox(mail.recipient.email, name: mail.recipient.name), language: mail.recipient.language)
    }

    static func readable(_ timestamp: String) -> String {
        guard timestamp.count >= 16 else { return timestamp }
        return timestamp.prefix(10) + " " + timestamp.dropFirst(11).prefix(5) + " UTC"
    }
}
