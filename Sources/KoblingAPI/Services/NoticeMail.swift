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
