import Foundation
import KoblingCore
import Mail
import Newsletter
import Storage
import Synchronization

/// Turns newsletter issues into email: compiled once per issue, rendered for each reader with
/// their name and their own unsubscribe link, and sent with the list headers bulk mail needs
/// (RFC 2369 List-Unsubscribe, RFC 8058 one-click, RFC 2919 List-Id).
final class NewsletterMail: Sendable {
    private let database: AppDatabase
    private let configuration: AppConfiguration
    /// Issues being sent, compiled: their content no longer changes once sending starts.
    private let compiled = Mutex<[String: Compiled]>([:])

    init(database: AppDatabase, configuration: AppConfiguration) {
        self.database = database
        self.configuration = configuration
    }

    /// Where anyone can read a sent issue.
    func archiveURL(issueId: String) -> String {
        configuration.publicLink("/archive/\(issueId)")
    }

    func unsubscribeURL(token: String) -> String {
        configuration.publicLink("/v1/unsubscribe/\(token)")
    }

    /// Compiles an issue's content; a template error is the organiser's to mend (422 on its field).
    func template(_ issue: NewsletterIssue) throws -> IssueTemplate {
        try template(id: issue.id, listName: issue.listName, subject: issue.subject, preheader: issue.preheader, body: issue.body)
    }

    func template(id: String, listName: String, subject: String, preheader: String, body: String) throws -> IssueTemplate {
        do {
            return try IssueTemplate(
                IssueContent(listName: listName, subject: subject, preheader: preheader, body: body), archiveURL: archiveURL(issueId: id))
        } catch IssueTemplate.Invalid.template(let field, let detail) {
            throw KoblingError.invalid("/\(field)", detail)
        }
    }

    /// The message of one newsletter row, for the outbox worker (on its own thread).
    func compose(_ delivery: ClaimedMail.Newsletter, to recipient: String) throws -> MailMessage {
        let compiled: Compiled
        if let cached = self.compiled.withLock({ $0[delivery.issueId] }) {
            compiled = cached
        } else {
            let issue: NewsletterIssue = try database.issue(id: delivery.issueId)
            compiled = Compiled(template: try template(issue), listId: issue.listId, listName: issue.listName)
            self.compiled.withLock { $0[delivery.issueId] = compiled }
        }
        let unsubscribe = unsubscribeURL(token: delivery.unsubscribeToken)
        return message(
            compiled.template.render(for: Reader(name: delivery.name, unsubscribeURL: unsubscribe)),
            to: Mailbox(recipient, name: delivery.name), listId: compiled.listId, listName: compiled.listName, unsubscribeURL: unsubscribe)
    }

    /// An issue being sent, ready to render for each reader.
    struct Compiled: Sendable {
        var template: IssueTemplate
        var listId: String
        var listName: String
    }

    /// A rendered issue as an email. A test send has no subscriber: its unsubscribe link is the
    /// archive page, so that the headers are there to be checked but lead nowhere personal.
    func message(_ rendered: RenderedIssue, to recipient: Mailbox, listId: String, listName: String, unsubscribeURL: String) -> MailMessage {
        let domain = configuration.sender.address.split(separator: "@").last.map(String.init) ?? "kobling.local"
        return MailMessage(
            from: configuration.sender, to: [recipient], subject: rendered.subject, text: rendered.text, html: rendered.html,
            headers: [
                ("List-Id", "\(MessageRenderer.encodedWord(listName)) <\(listId.replacingOccurrences(of: "_", with: "-")).\(domain)>"),
                ("List-Unsubscribe", "<\(unsubscribeURL)>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("Precedence", "bulk"),
            ])
    }
}
