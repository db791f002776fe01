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
    let templates: IssueTemplates

    init(database: AppDatabase, configuration: AppConfiguration) {
        self.database = database
        self.configuration = configuration
        templates = IssueTemplates(configuration: configuration)
    }

    /// Where anyone can read a sent issue.
    func archiveURL(issueId: String) -> String {
        templates.archiveURL(issueId: issueId)
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
    func template(_ issue: NewsletterIssue) throws -> IssueTemplate {
        try templates.template(id: issue.id, listName: issue.listName, subject: issue.subject, preheader: issue.preheader, body: issue.body)
    }

    /// The message of one newsletter row, for the outbox worker (on its own thread): the issue's
    /// compiled message, and the reader's values for it.
    func compose(_ delivery: ClaimedMail.Newsletter, to recipient: String) throws -> OutgoingMail {
        let compiled: Compiled
        if let cached = self.compiled.withLock({ $0[delivery.issueId] }) {
            compiled = cached
        } else {
            let issue = try database.issueContent(id: delivery.issueId)
            compiled = compile(try template(issue), listId: issue.listId, listName: issue.listName)
            self.compiled.withLock { $0[delivery.issueId] = compiled }
        }
        let values = ReaderValues(Reader(name: delivery.name, unsubscribeURL: unsubscribeURL(token: delivery.unsubscribeToken)))
        return OutgoingMail(
            reference: "", template: values.isNamed ? compiled.named : compiled.unnamed, to: [Mailbox(recipient, name: delivery.name)],
            values: IssuePieces.Slot.allCases.map(values.text) + IssuePieces.Slot.allCases.map(values.html))
    }

    /// An issue being sent, as a message for readers with a name and for readers without.
    struct Compiled: Sendable {
        var named: MessageTemplate
        var unnamed: MessageTemplate
    }

    /// The issue as a message template: the subject and text part take the reader's values as
    /// they are (slot n is value n), the HTML part escaped (slot n is value n + the slot count).
    private func compile(_ template: IssueTemplate, listId: String, listName: String) -> Compiled {
        let slots = IssuePieces.Slot.allCases.count
        func text(_ pieces: [IssuePieces.Piece], offset: Int = 0) -> TemplateText {
            TemplateText(pieces: pieces.map { piece in
                switch piece {
                case .text(let text): .text(text)
                case .slot(let slot): .value(slot.rawValue + offset)
                }
            })
        }
        func message(_ pieces: IssuePieces) -> MessageTemplate {
            MessageTemplate(
                from: configuration.sender, subject: text(pieces.subject), text: text(pieces.text), html: text(pieces.html, offset: slots),
                headers: listHeaders(listId: listId, listName: listName, unsubscribeURL: text([.slot(.unsubscribeURL)])))
        }
        return Compiled(named: message(template.named), unnamed: message(template.unnamed))
    }

    /// The headers bulk mail needs: RFC 2919 List-Id, RFC 2369 List-Unsubscribe and RFC 8058's
    /// one-click unsubscribe.
    private func listHeaders(listId: String, listName: String, unsubscribeURL: TemplateText) -> [(String, TemplateText)] {
        let domain = configuration.sender.address.split(separator: "@").last.map(String.init) ?? "kobling.local"
        return [
            ("List-Id", TemplateText("\(MessageRenderer.encodedWord(listName)) <\(listId.replacingOccurrences(of: "_", with: "-")).\(domain)>")),
            ("List-Unsubscribe", TemplateText(pieces: [.text("<")] + unsubscribeURL.pieces + [.text(">")])),
            ("List-Unsubscribe-Post", TemplateText("List-Unsubscribe=One-Click")),
            ("Precedence", TemplateText("bulk")),
        ]
    }

    /// A rendered issue as an email. A test send has no subscriber: its unsubscribe link is the
    /// archive page, so that the headers are there to be checked but lead nowhere personal.
    func message(_ rendered: RenderedIssue, to recipient: Mailbox, listId: String, listName: String, unsubscribeURL: String) -> MailMessage {
        MailMessage(
            from: configuration.sender, to: [recipient], subject: rendered.subject, text: rendered.text, html: rendered.html,
            headers: listHeaders(listId: listId, listName: listName, unsubscribeURL: TemplateText(unsubscribeURL)).map { ($0.0, $0.1.joined([])) })
    }
}
