import Foundation
import HTTPTypes
import Hummingbird
import KoblingCore
import Mail
import Notices
import Storage

/// Mailing lists and subscriptions: double opt-in with the consent recorded, and unsubscribing in
/// one click (RFC 8058) or from a plain page.
struct ListsController {
    let services: AppServices

    /// Subscription requests an hour, per address and per client.
    static let perAddressPerHour = 3
    static let perClientPerHour = 20
    static let confirmLifetime: TimeInterval = 48 * 3600

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/lists", .anyone, list)
        routes.add(.post, "/v1/lists", .organiser, idempotent: true, create)
        routes.add(.post, "/v1/lists/{id}/subscriptions", .anyone, subscribe)
        routes.add(.get, "/v1/lists/{id}/subscribers", .organiser, subscribers)
        routes.add(.get, "/v1/lists/{id}/subscribers.csv", .organiser, export)
        routes.add(.post, "/v1/lists/{id}/subscribers.csv", .organiser, importCSV)
        routes.add(.post, "/v1/subscriptions/confirm", .anyone, confirm)
        routes.add(.get, "/v1/unsubscribe/{token}", .anyone, unsubscribePage)
        routes.add(.post, "/v1/unsubscribe/{token}", .anyone, unsubscribe)
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        JSONResponse.items(ofDocuments: try await services.database.lists())
    }

    @Sendable func create(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["name", "description", "consentText"])
        let name = fields.required("name", maxLength: 120)
        let description = fields.optional("description", maxLength: 2000)
        let consent = fields.required("consentText", maxLength: 1000)
        try fields.finish()
        guard let name, let consent else { throw KoblingError.invalid([]) }
        return try JSONResponse.make(
            try await services.database.createList(name: name, description: description ?? "", consentText: consent), status: .created)
    }

    @Sendable func subscribers(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["status"])
        let status = query.enumeration("status", SubscriptionStatus.self)
        let page = try query.page()
        let listId = try context.parameters.require("id")
        return try JSONResponse.make(ListBody(page: try await services.database.subscribers(listId: listId, status: status, page: page)))
    }

    /// Every subscriber with the consent record, as CSV (RFC 4180).
    @Sendable func export(_ request: Request, context: KoblingContext) async throws -> Response {
        let listId = try context.parameters.require("id")
        let subscribers = try await services.database.allSubscribers(listId: listId)
        // A list of many thousands takes a while to write out: off the cooperative threads.
        let csv = try await services.work.run {
            var csv = "email,name,status,consent_text,consent_at,consent_source,created_at,confirmed_at\r\n"
            for subscriber in subscribers {
                let fields = [subscriber.email, subscriber.name ?? "", subscriber.status.rawValue, subscriber.consentText,
                              subscriber.consentAt, subscriber.consentSource, subscriber.createdAt, subscriber.confirmedAt ?? ""]
                csv += fields.map(CSV.field).joined(separator: ",") + "\r\n"
            }
            return csv
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"subscribers-\(listId).csv\""],
            body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    /// The largest CSV an import takes.
    static let importLimit = 16 << 20

    /// Imports subscribers from CSV (the export's columns, or just email, name and consent_at) in
    /// one transaction: every bad row is named and nothing is imported, or all of it is.
    @Sendable func importCSV(_ request: Request, context: KoblingContext) async throws -> Response {
        let listId = try context.parameters.require("id")
        let text = try await RequestBody.text(request, type: "text/csv", limit: Self.importLimit)
        let rows = try await services.work.run { try SubscriberCSV.read(text) }
        let source = "imported by \(context.caller?.email ?? "an organiser") on \(Timestamp.string(services.clock.now()).prefix(10))"
        return try JSONResponse.make(try await services.database.importSubscribers(listId: listId, rows, source: source))
    }

    /// Always 202 when the input is valid, whether or not the address was subscribed already, so
    /// that nobody learns who subscribes.
    @Sendable func subscribe(_ request: Request, context: KoblingContext) async throws -> Response {
        let listId = try context.parameters.require("id")
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["email", "name", "consent", "language"])
        // A signed-in member may leave out the address: their account's is used.
        let rawEmail = context.caller != nil ? fields.optional("email", maxLength: 254) : fields.required("email", maxLength: 254)
        let name = fields.optional("name", maxLength: 120)
        let language = (fields.language("language") ?? nil) ?? context.caller?.language
        _ = fields.agreed("consent", "Subscribing needs your consent to receive the list's emails (true).")
        if let rawEmail, EmailAddress(rawEmail) == nil { fields.fail("email", "Not an email address.") }
        try fields.finish()
        let email: EmailAddress
        if let rawEmail, let address = EmailAddress(rawEmail) {
            email = address
        } else if let caller = context.caller, let address = EmailAddress(caller.email) {
            email = address
        } else {
            throw KoblingError.invalid("/email", "Required.")
        }
        let token = SecretToken.generate()
        // Filed under the account only when the account has shown that the address is its own.
        let fromAccount = context.caller.map { $0.emailVerified && EmailAddress($0.email) == email } ?? false
        let client = context.remoteAddress ?? "unknown"
        let subscription = SubscriptionRequest(
            listId: listId, email: email, name: name, accountId: fromAccount ? context.caller?.accountId : nil,
            source: fromAccount ? "account" : "web form from \(client)",
            limits: [("email:" + email.value, Self.perAddressPerHour), ("client:" + client, Self.perClientPerHour)],
            confirmTokenHash: SecretToken.hash(token), confirmLifetime: Self.confirmLifetime, language: language)
        let link = services.configuration.publicLink("/subscriptions/confirm?token=\(token)")
        let notices = services.notices
        if try await services.database.requestSubscription(subscription, mail: { list in
            let notice = Notice.subscriptionConfirmation(
                name: name, listName: list.name, consentText: list.consentText, link: link, hours: Int(Self.confirmLifetime / 3600))
            return try notices.outbox(MailKind.subscriptionConfirmation, notice, to: Mailbox(email.value, name: name), language: language)
        }) {
            services.outbox.wake()
        }
        return try JSONResponse.make(["status": "If the address is not subscribed yet, a link to confirm is on its way."], status: .accepted)
    }

    @Sendable func confirm(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["token"])
        let token = fields.required("token", maxLength: 200)
        try fields.finish()
        guard let token else { throw KoblingError.invalid([]) }
        return try JSONResponse.make(try await services.database.confirmSubscription(tokenHash: SecretToken.hash(token)))
    }

    /// The page an unsubscribe link opens: it asks, and a button posts. (A GET that unsubscribed
    /// would be triggered by link scanners.)
    @Sendable func unsubscribePage(_ request: Request, context: KoblingContext) async throws -> Response {
        let token = try context.parameters.require("token")
        guard let state = try await services.database.subscription(unsubscribeToken: token) else {
            throw KoblingError.notFound("This unsubscribe link is unknown.")
        }
        let body = state.status == .unsubscribed
            ? "<p>\(HTML.escape(state.email)) no longer receives “\(HTML.escape(state.listName))”.</p>"
            : """
              <p>Stop sending “\(HTML.escape(state.listName))” to \(HTML.escape(state.email))?<br>
              Stop med at sende “\(HTML.escape(state.listName))” til \(HTML.escape(state.email))?</p>
              <form method="post"><button type="submit" name="List-Unsubscribe" value="One-Click">Unsubscribe / Afmeld</button></form>
              """
        return HTML.page(title: "Unsubscribe", body: body)
    }

    /// RFC 8058 one-click (the body is `List-Unsubscribe=One-Click`), or the page's button.
    @Sendable func unsubscribe(_ request: Request, context: KoblingContext) async throws -> Response {
        let token = try context.parameters.require("token")
        let state = try await services.database.unsubscribe(token: token)
        return HTML.page(
            title: "Unsubscribed",
            body: "<p>\(HTML.escape(state.email)) no longer receives “\(HTML.escape(state.listName))”. / Du er afmeldt.</p>")
    }
}

/// Plain HTML pages for the few links people open in a browser.
enum HTML {
    /// Text for an HTML element or a quoted attribute: `&`, `<`, `>` and `"` as entities. On the
    /// bytes, and the text as it is when it holds none of them.
    static func escape(_ text: String) -> String {
        let special: (UInt8) -> Bool = { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") }
        guard text.utf8.contains(where: special) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): output += Array("&amp;".utf8)
            case UInt8(ascii: "<"): output += Array("&lt;".utf8)
            case UInt8(ascii: ">"): output += Array("&gt;".utf8)
            case UInt8(ascii: "\""): output += Array("&quot;".utf8)
            default: output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Every page runs no script and loads nothing but images; its forms post only here, and no
    /// other site may frame it.
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy: "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    /// A whole HTML document as the response.
    static func document(_ html: String) -> Response {
        Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A whole HTML document rendered ahead of time, as its bytes.
    static func document(_ html: [UInt8]) -> Response {
        Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: html)))
    }

    static func page(title: String, body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html>
            <html lang="da"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>\(escape(title)) – Kobling</title></head>
            <body style="font-family: system-ui, sans-serif; max-width: 36em; margin: 3em auto; padding: 0 1em">
            \(body)
            </body></html>
            """
        var headers = Self.headers
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
