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
    /// Sent issues as the archive renders them.
    private let archive = Mutex<[String: RenderedIssue]>([:])

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

    /// Checks an issue's content as it is written; a template error is the organiser's to mend
    /// (422 on its field).
    func check(_ draft: IssueDraft) throws {
        do {
            try IssueTemplate.validate(IssueContent(listName: "", subject: draft.subject, preheader: draft.preheader, body: draft.body))
        } catch IssueTemplate.Invalid.template(let field, let detail) {
            throw KoblingError.invalid("/\(field)", detail)
        }
    }

    /// Compiles an issue's content, checked when it was written.
    func template(id: String, listName: String, subject: String, preheader: String, body: String) throws -> IssueTemplate {
        do {
            return try IssueTemplate(
                IssueContent(listName: listName, subject: subject, preheader: preheader, body: body), archiveURL: archiveURL(issueId: id))
        } catch IssueTemplate.Invalid.template(let field, let detail) {
            throw KoblingError.invalid("/\(field)", detail)
        }
    }

    func template(_ issue: NewsletterIssue) throws -> IssueTemplate {
        try template(id: issue.id, listName: issue.listName, subject: issue.subject, preheader: issue.preheader, body: issue.body)
    }

    /// A sent issue as the archive shows it, rendered for no reader. Sent issues never change, so
    /// each is rendered once.
    func archived(_ issue: ArchivedIssue) throws -> RenderedIssue {
        if let rendered = archive.withLock({ $0[issue.id] }) { return rendered }
        let rendered = try template(
            id: issue.id, listName: issue.listName, subject: issue.subject, preheader: issue.preheader, body: issue.body
        ).render(for: nil)
        archive.withLock { $0[issue.id] = rendered }
        return rendered
    }

    /// The message of one newsletter row, for the outbox worker (on its own thread).
    func compose(_ delivery: ClaimedMail.Newsletter, to recipient: String) throws -> MailMessage {
        let compiled: Compiled
        if let cached = self.compiled.withLock({ $0[delivery.issueId] }) {
            compiled = cached
        } else {
            let issue = try database.issueContent(id: delivery.issueId)
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
