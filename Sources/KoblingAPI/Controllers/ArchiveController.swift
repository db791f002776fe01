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

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["listId"])
        let listId = query.string("listId")
        let page = try query.page()
        return JSONResponse.page(ofDocuments: try await services.database.archive(listId: listId, page: page))
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        guard let issue = try await services.database.archivedIssueDocument(id: try context.parameters.require("id")) else {
            throw KoblingError.notFound("No such issue in the archive.")
        }
        return JSONResponse.document(issue)
    }

    /// The issue as it looked in the inbox, for "read it in your browser".
    @Sendable func issuePage(_ request: Request, context: KoblingContext) async throws -> Response {
        guard let page = try await services.database.archivedIssuePage(id: try context.parameters.require("id")) else {
            throw KoblingError.notFound("No such issue in the archive.")
        }
        return HTML.document(page.bytes)
    }

    /// Every sent issue, by list and newest first.
    @Sendable func indexPage(_ request: Request, context: KoblingContext) async throws -> Response {
        let lines = try await services.database.archiveIndex()
        var body = "<h1>Arkiv / Archive</h1>"
        if lines.isEmpty { body += "<p>Nothing has been sent yet. / Intet er sendt endnu.</p>" }
        var list: String?
        for line in lines {
            if line.listName != list {
                if list != nil { body += "</ul>" }
                body += "<h2>\(HTML.escape(line.listName))</h2><ul>"
                list = line.listName
            }
            body += String(decoding: line.line, as: UTF8.self)
        }
        if list != nil { body += "</ul>" }
        return HTML.page(title: "Archive", body: body)
    }
}
