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
    private let compiled = Mutex<[String: IssueTemplate]>([:])

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

    /// The message of one newsletter row, for the outbox worker.
    func compose(_ delivery: ClaimedMail.Newsletter, to recipient: String) async throws -> MailMessage {
        let template: IssueTemplate
        if let cached = compiled.withLock({ $0[delivery.issueId] }) {
            template = cached
        } else {
            template = try self.template(try await database.issue(id: delivery.issueId))
            compiled.withLock { $0[delivery.issueId] = template }
        }
        let issue = try await listOf(issueId: delivery.issueId)
        return message(
            template.render(for: Reader(name: delivery.name, unsubscribeURL: unsubscribeURL(token: delivery.unsubscribeToken))),
            to: Mailbox(recipient, name: delivery.name), listId: issue.listId, listName: issue.listName,
            unsubscribeURL: unsubscribeURL(token: delivery.unsubscribeToken))
    }

    private let lists = Mutex<[String: (listId: String, listName: String)]>([:])

    private func listOf(issueId: String) async throws -> (listId: String, listName: String) {
        if let known = lists.withLock({ $0[issueId] }) { return known }
        let issue = try await database.issue(id: issueId)
        lists.withLock { $0[issueId] = (issue.listId, issue.listName) }
        return (issue.listId, issue.listName)
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
