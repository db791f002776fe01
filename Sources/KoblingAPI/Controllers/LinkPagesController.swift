import Foundation
import Hummingbird
import KoblingCore

/// The pages the links in Kobling's emails open, so that they work on a fresh install with no
/// frontend (a frontend takes them over by setting `KOBLING_PUBLIC_URL`). Each asks before it
/// acts, with a button whose form posts back here (a GET that acted would be triggered by the
/// link scanners of mail providers), and runs no script. What the form posts goes to the same
/// Storage methods as the JSON API; a refusal is shown as a page with its status.
struct LinkPagesController {
    let services: AppServices

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/subscriptions/confirm", .anyone, confirmSubscriptionPage)
        routes.add(.post, "/subscriptions/confirm", .anyone, confirmSubscription)
        routes.add(.get, "/reset-password", .anyone, resetPasswordPage)
        routes.add(.post, "/reset-password", .anyone, resetPassword)
        routes.add(.get, "/verify-email", .anyone, verifyEmailPage)
        routes.add(.post, "/verify-email", .anyone, verifyEmail)
    }

    @Sendable func verifyEmailPage(_ request: Request, context: KoblingContext) async throws -> Response {
        try await page(title: "Verify / Bekræft") {
            let token = try Self.token(Query.parse(request.uri.query ?? ""))
            return """
                <p>Confirm that this email address is yours.<br>
                Bekræft, at denne mailadresse er din.</p>
                <form method="post" action="/verify-email">
                <input type="hidden" name="token" value="\(HTML.escape(token))">
                <button type="submit">Verify / Bekræft</button></form>
                """
        }
    }

    @Sendable func verifyEmail(_ request: Request, context: KoblingContext) async throws -> Response {
        try await page(title: "Verified / Bekræftet") {
            let verified = try await services.verifyAddress(token: try Self.token(try await Self.form(request)))
            return "<p>\(HTML.escape(verified.account.email)) is verified. / Adressen er bekræftet.</p>"
        }
    }

    @Sendable func confirmSubscriptionPage(_ request: Request, context: KoblingContext) async throws -> Response {
        try await page(title: "Confirm / Bekræft") {
            let token = try Self.token(Query.parse(request.uri.query ?? ""))
            return """
                <p>Confirm that you want to receive the newsletter you subscribed to.<br>
                Bekræft, at du vil modtage nyhedsbrevet, du har tilmeldt dig.</p>
                <form method="post" action="/subscriptions/confirm">
                <input type="hidden" name="token" value="\(HTML.escape(token))">
                <button type="submit">Confirm / Bekræft</button></form>
                """
        }
    }

    @Sendable func confirmSubscription(_ request: Request, context: KoblingContext) async throws -> Response {
        try await page(title: "Confirmed / Bekræftet") {
            let token = try Self.token(try await Self.form(request))
            let state = try await services.database.confirmSubscription(tokenHash: SecretToken.hash(token))
            return "<p>\(HTML.escape(state.email)) will receive “\(HTML.escape(state.listName))”. / Du er tilmeldt.</p>"
        }
    }

    @Sendable func resetPasswordPage(_ request: Request, context: KoblingContext) async throws -> Response {
        try await page(title: "New password / Ny adgangskode") {
            Self.resetForm(token: try Self.token(Query.parse(request.uri.query ?? "")), problem: nil)
        }
    }

    @Sendable func resetPassword(_ request: Request, context: KoblingContext) async throws -> Response {
        try await page(title: "New password / Ny adgangskode") {
            let fields = try await Self.form(request)
            let token = try Self.token(fields)
            let password = fields.first { $0.name == "newPassword" }?.value ?? ""
            // A password the policy refuses: the form again, saying why (the link still works).
            if let problem = PasswordPolicy.problem(with: password, email: nil) {
                throw PageProblem(status: .unprocessableContent, body: Self.resetForm(token: token, problem: problem))
            }
            try await services.database.resetPassword(tokenHash: SecretToken.hash(token), passwordHash: try await services.hasher.hash(password))
            return "<p>Your password is changed; log in with it. / Din adgangskode er ændret.</p>"
        }
    }

    private static func resetForm(token: String, problem: String?) -> String {
        """
        \(problem.map { "<p><strong>\(HTML.escape($0))</strong></p>" } ?? "")
        <form method="post" action="/reset-password">
        <input type="hidden" name="token" value="\(HTML.escape(token))">
        <p><label>New password / Ny adgangskode (at least \(PasswordPolicy.minimumLength) characters)<br>
        <input type="password" name="newPassword" minlength="\(PasswordPolicy.minimumLength)" required autocomplete="new-password"></label></p>
        <button type="submit">Save / Gem</button></form>
        """
    }

    /// A page whose body `content` makes; a refusal of the request (a 4xx) becomes the same page
    /// with its status and what went wrong, in words. Anything else (a busy server's 503 with its
    /// Retry-After) leaves as a problem, as on every other route.
    private func page(title: String, _ content: () async throws -> String) async throws -> Response {
        do {
            return HTML.page(title: title, body: try await content())
        } catch let problem as PageProblem {
            return HTML.page(title: title, body: problem.body, status: problem.status)
        } catch let error as KoblingError {
            let problem = Problem(error)
            guard (400..<500).contains(problem.status), error.extraHeaders.isEmpty else { throw error }
            let detail = problem.errors?.map(\.detail).joined(separator: " ") ?? problem.detail
            return HTML.page(title: title, body: "<p>\(HTML.escape(detail))</p>", status: .init(code: problem.status))
        }
    }

    private struct PageProblem: Error {
        let status: HTTPResponse.Status
        let body: String
    }

    private static func token(_ fields: [(name: String, value: String)]) throws -> String {
        guard let token = fields.first(where: { $0.name == "token" })?.value, !token.isEmpty, token.utf8.count <= 200 else {
            throw KoblingError.malformed("This link has no token; open the link from the email as it is.")
        }
        return token
    }

    /// A form's fields (application/x-www-form-urlencoded, as a browser posts it).
    private static func form(_ request: Request) async throws -> [(name: String, value: String)] {
        Query.parse(try await RequestBody.text(request, type: "application/x-www-form-urlencoded", limit: 16 << 10))
    }
}
