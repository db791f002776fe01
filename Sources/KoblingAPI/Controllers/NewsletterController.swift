import Foundation
import Hummingbird
import KoblingCore
import Mail
import Newsletter
import Storage

/// Newsletter issues for organisers: write in Markdown, preview, send a test, send now or at a set
/// time, and pause, resume or cancel a send under way.
struct NewsletterController {
    let services: AppServices
    var database: AppDatabase { services.database }

    /// Addresses a test send may go to at once.
    static let testRecipientLimit = 10

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/newsletter/issues", .organiser, list)
        routes.add(.post, "/v1/newsletter/issues", .organiser, idempotent: true, create)
        routes.add(.get, "/v1/newsletter/issues/{id}", .organiser, show)
        routes.add(.patch, "/v1/newsletter/issues/{id}", .organiser, update)
        routes.add(.delete, "/v1/newsletter/issues/{id}", .organiser, delete)
        routes.add(.get, "/v1/newsletter/issues/{id}/preview", .organiser, preview)
        routes.add(.post, "/v1/newsletter/issues/{id}/test", .organiser, test)
        routes.add(.post, "/v1/newsletter/issues/{id}/send", .organiser, send)
        routes.add(.post, "/v1/newsletter/issues/{id}/pause", .organiser, control(.pause))
        routes.add(.post, "/v1/newsletter/issues/{id}/resume", .organiser, control(.resume))
        routes.add(.post, "/v1/newsletter/issues/{id}/cancel", .organiser, control(.cancel))
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["listId", "status"])
        let listId = query.string("listId")
        let status = query.enumeration("status", NewsletterIssue.Status.self)
        let page = try query.page()
        return try JSONResponse.make(ListBody(page: try await database.issues(listId: listId, status: status, page: page)))
    }

    @Sendable func create(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["listId", "subject", "preheader", "body"])
        let listId = fields.required("listId", maxLength: 100)
        let subject = fields.required("subject", maxLength: 200)
        let preheader = fields.optional("preheader", maxLength: 200) ?? ""
        let body = fields.required("body", maxLength: 100_000)
        try fields.finish()
        guard let listId, let subject, let body else { throw KoblingError.invalid([]) }
        let draft = IssueDraft(subject: subject, preheader: preheader, body: body)
        try services.newsletter.check(draft)
        return try respond(try await database.createIssue(listId: listId, draft: draft), status: .created)
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        try respond(try await database.issue(id: try context.parameters.require("id")))
    }

    @Sendable func update(_ request: Request, context: KoblingContext) async throws -> Response {
        let id = try context.parameters.require("id")
        var patch = try MergePatch(try await RequestBody.json(request, context: context, mergePatch: true), allowed: ["subject", "preheader", "body"])
        let subject = patch.string("subject", maxLength: 200, allowEmpty: false)
        let preheader = patch.string("preheader", nullable: true, maxLength: 200)
        let body = patch.string("body", maxLength: 100_000, allowEmpty: false)
        try patch.validator.finish()
        let expected = try EntityTag.expectedVersion(request)
        let newsletter = services.newsletter
        let issue = try await database.updateIssue(id: id, expectedVersion: expected) { draft in
            var draft = draft
            subject.apply(to: &draft.subject, removed: draft.subject)
            preheader.apply(to: &draft.preheader, removed: "")
            body.apply(to: &draft.body, removed: draft.body)
            try newsletter.check(draft)
            return draft
        }
        return try respond(issue)
    }

    @Sendable func delete(_ request: Request, context: KoblingContext) async throws -> Response {
        try await database.deleteIssue(id: try context.parameters.require("id"))
        return JSONResponse.noContent()
    }

    struct Preview: Encodable {
        var subject: String
        var preheader: String
        var html: String
        var text: String
    }

    /// The issue as a reader with the given name (or none) would get it.
    @Sendable func preview(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["name"])
        let name = query.string("name", maxLength: 120)
        _ = try query.page()
        let issue = try await database.issue(id: try context.parameters.require("id"))
        let rendered = try services.newsletter.template(issue).render(for: sampleReader(issue, name: name))
        return try JSONResponse.make(Preview(subject: rendered.subject, preheader: rendered.preheader, html: rendered.html, text: rendered.text))
    }

    /// Sends the issue, marked as a test, to a few addresses through the outbox.
    @Sendable func test(_ request: Request, context: KoblingContext) async throws -> Response {
        let id = try context.parameters.require("id")
        var patch = try MergePatch(try await RequestBody.json(request, context: context), allowed: ["to", "name"])
        var name: String?
        if case .set(let value) = patch.string("name", nullable: true, maxLength: 120) { name = value }
        var addresses: [EmailAddress] = []
        switch patch.strings("to", maxCount: Self.testRecipientLimit, maxLength: 254) {
        case .set(let values) where !values.isEmpty:
            for (index, value) in values.enumerated() {
                if let address = EmailAddress(value) { addresses.append(address) } else { patch.validator.add("/to/\(index)", "Not an email address.") }
            }
        case .absent where patch.raw("to") != nil:
            break
        default:
            patch.validator.add("/to", "Expected 1 to \(Self.testRecipientLimit) email addresses.")
        }
        try patch.validator.finish()
        let issue = try await database.issue(id: id)
        let rendered = try services.newsletter.template(issue).render(for: sampleReader(issue, name: name))
        var test = rendered
        test.subject = "[Test] " + rendered.subject
        let mails = try addresses.map { address in
            let message = services.newsletter.message(
                test, to: Mailbox(address.value, name: name), listId: issue.listId, listName: issue.listName,
                unsubscribeURL: services.newsletter.archiveURL(issueId: issue.id))
            return OutboxMail(kind: MailKind.newsletterTest, recipient: address.value, message: try JSONEncoder().encode(message))
        }
        try await database.enqueue(mails)
        services.outbox.wake()
        return try JSONResponse.make(["queued": mails.count], status: .accepted)
    }

    /// Sends now, or at `at` (RFC 3339) when given.
    @Sendable func send(_ request: Request, context: KoblingContext) async throws -> Response {
        let id = try context.parameters.require("id")
        var at: String?
        if let body = try await RequestBody.optionalJSON(request, context: context) {
            var fields = try BodyFields(body, allowed: ["at"])
            if let raw = fields.optional("at", maxLength: 40) {
                if let date = Timestamp.parse(raw) { at = Timestamp.string(date) } else { fields.fail("at", "Expected an RFC 3339 time such as 2026-12-01T09:00:00+01:00.") }
            }
            try fields.finish()
        }
        if let at { return try respond(try await database.scheduleIssue(id: id, at: at)) }
        let sending = try await database.sendIssue(id: id)
        services.outbox.wake()
        return try respond(sending)
    }

    func control(_ control: AppDatabase.SendControl) -> APIRoutes.Handler {
        { [self] _, context in
            let issue = try await database.controlSend(id: try context.parameters.require("id"), control)
            if control == .resume { services.outbox.wake() }
            return try respond(issue)
        }
    }

    private func respond(_ issue: NewsletterIssue, status: HTTPResponse.Status = .ok) throws -> Response {
        try JSONResponse.make(issue, status: status, headers: [.eTag: EntityTag.make(version: issue.version)])
    }

    /// The reader of a preview or test: the given name, and the archive page for the unsubscribe
    /// link, since no subscriber stands behind it.
    private func sampleReader(_ issue: NewsletterIssue, name: String?) -> Reader {
        Reader(name: name, unsubscribeURL: services.newsletter.archiveURL(issueId: issue.id))
    }
}
