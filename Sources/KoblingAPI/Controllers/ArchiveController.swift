import Foundation
import Hummingbird
import KoblingCore
import Newsletter
import Storage

/// The public archive of sent issues, as JSON and as plain HTML pages. An issue is rendered for no
/// reader: no name, no unsubscribe link, nothing about who received it.
struct ArchiveController {
    let services: AppServices

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/newsletter/archive", .anyone, list)
        routes.add(.get, "/v1/newsletter/archive/{id}", .anyone, show)
        routes.add(.get, "/archive", .anyone, indexPage)
        routes.add(.get, "/archive/{id}", .anyone, issuePage)
    }

    /// A sent issue as the archive shows it; `html` and `text` only when one issue is asked for.
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

    /// An issue's subject and preheader may greet the reader; here they are rendered for nobody.
    private func entry(_ issue: ArchivedIssue, whole: Bool) throws -> Entry {
        let rendered = try render(issue)
        return Entry(
            id: issue.id, listId: issue.listId, listName: issue.listName, subject: rendered.subject, preheader: rendered.preheader,
            sentAt: issue.sentAt, url: services.newsletter.archiveURL(issueId: issue.id),
            html: whole ? rendered.html : nil, text: whole ? rendered.text : nil)
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["listId"])
        let listId = query.string("listId")
        let page = try query.page()
        let result = try await services.database.archive(listId: listId, page: page)
        return try JSONResponse.make(ListBody(page: Page(items: try result.items.map { try entry($0, whole: false) }, nextCursor: result.nextCursor)))
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        let issue = try await services.database.archivedIssue(id: try context.parameters.require("id"))
        return try JSONResponse.make(try entry(issue, whole: true))
    }

    /// The issue as it looked in the inbox, for "read it in your browser".
    @Sendable func issuePage(_ request: Request, context: KoblingContext) async throws -> Response {
        let issue = try await services.database.archivedIssue(id: try context.parameters.require("id"))
        return HTML.document(try render(issue).html)
    }

    /// Every sent issue, newest first, by list.
    @Sendable func indexPage(_ request: Request, context: KoblingContext) async throws -> Response {
        var issues: [ArchivedIssue] = []
        var page = PageRequest(limit: PageRequest.maximumLimit)
        while true {
            let result = try await services.database.archive(listId: nil, page: page)
            issues += result.items
            guard let cursor = result.nextCursor, let after = Cursor.decode(cursor) else { break }
            page = PageRequest(limit: PageRequest.maximumLimit, after: after)
        }
        var body = "<h1>Arkiv / Archive</h1>"
        if issues.isEmpty { body += "<p>Nothing has been sent yet. / Intet er sendt endnu.</p>" }
        for (listName, group) in Dictionary(grouping: issues, by: \.listName).sorted(by: { $0.key < $1.key }) {
            body += "<h2>\(HTML.escape(listName))</h2><ul>"
            for issue in group {
                let subject = try render(issue).subject
                body += "<li><a href=\"/archive/\(HTML.escape(issue.id))\">\(HTML.escape(subject))</a> · \(issue.sentAt.prefix(10))</li>"
            }
            body += "</ul>"
        }
        return HTML.page(title: "Archive", body: body)
    }

    private func render(_ issue: ArchivedIssue) throws -> RenderedIssue {
        try services.newsletter.archived(issue)
    }
}
