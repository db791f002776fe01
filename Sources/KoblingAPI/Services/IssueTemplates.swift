import Foundation
import KoblingCore
import Newsletter
import Storage

/// Newsletter issues compiled with this hub's links, and sent issues rendered for the public
/// archive: its list entry, the whole issue and its page, stored when the issue is sent so that
/// the archive's reads copy them (see `ArchiveRendering`).
public struct IssueTemplates: Sendable {
    let configuration: AppConfiguration

    public init(configuration: AppConfiguration) {
        self.configuration = configuration
    }

    /// Where anyone can read a sent issue.
    func archiveURL(issueId: String) -> String {
        configuration.publicLink("/archive/\(issueId)")
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

    /// A sent issue as the archive shows it: rendered for no reader (no name, no unsubscribe
    /// link, nothing about who received it); the list entry leaves out the HTML and the text.
    struct Entry: Encodable {
        var id: String
        var listId: String
        var listName: String
        var subject: String
        var preheader: String
        var sentAt: String
        var url: String
        var html: String?
        var text: String?
    }

    /// The archive's renderings of a sent issue, for Storage to keep.
    public var archive: ArchiveRenderer {
        { issue in try self.archiveRendering(issue) }
    }

    func archiveRendering(_ issue: ArchivedIssue) throws -> ArchiveRendering {
        let rendered = try template(
            id: issue.id, listName: issue.listName, subject: issue.subject, preheader: issue.preheader, body: issue.body
        ).render(for: nil)
        var entry = Entry(
            id: issue.id, listId: issue.listId, listName: issue.listName, subject: rendered.subject, preheader: rendered.preheader,
            sentAt: issue.sentAt, url: archiveURL(issueId: issue.id))
        let summary = JSONDocument.render(entry)
        entry.html = rendered.html
        entry.text = rendered.text
        let line = "<li><a href=\"/archive/\(HTML.escape(issue.id))\">\(HTML.escape(rendered.subject))</a> · \(issue.sentAt.prefix(10))</li>"
        return ArchiveRendering(entry: summary, document: JSONDocument.render(entry), html: rendered.html, line: line)
    }
}
