import Foundation
import HTTPTypes
import HummingbirdTesting
import KoblingCore
import Mail
import Testing

/// The links in Kobling's emails, followed as a person would on an install with no frontend:
/// the link opens a page, its form is filled in and posted as a browser posts it.
@Suite struct LinkPagesTests {
    /// The whole link that starts with `prefix` in a message, as a person would click it.
    static func link(_ prefix: String, in mail: String) throws -> String {
        let body = QuotedPrintable.decode(mail)
        let start = try #require(body.range(of: prefix), "no \(prefix) link in: \(body)")
        return String(body[start.lowerBound...].prefix { !$0.isWhitespace })
    }

    /// What a browser posts for the page's form: its action, and its hidden fields with `filled`.
    static func submit(
        _ page: TestResponse, filling filled: [String: String] = [:], with client: any TestClientProtocol
    ) async throws -> TestResponse {
        let html = page.text
        let action = try #require(html.firstMatch(of: /<form method="post" action="([^"]+)">/)?.1, "no form in: \(html)")
        var fields: [(String, String)] = html.matches(of: /<input type="hidden" name="([^"]+)" value="([^"]*)">/).map {
            (String($0.1), String($0.2))
        }
        fields += filled.sorted { $0.key < $1.key }
        let body = fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $1)" }.joined(separator: "&")
        return try await client.request(.post, String(action), json: body, contentType: "application/x-www-form-urlencoded")
    }

    static func expectSafePage(_ response: TestResponse) {
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
    }

    @Test func theSubscriptionConfirmationLinkOpensAPageWhoseButtonConfirms() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let list = try await ListsTests.makeList(client, as: try await client.organiser())
            let asked = try await client.request(
                .post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"søs@example.dk","name":"Søs","consent":true}"#)
            #expect(asked.status == .accepted)
            let link = try Self.link("https://kobling.test/subscriptions/confirm?token=", in: try #require(try await app.sentMail().last))
            // Opening the link only asks: a mail provider's link scanner confirms nothing.
            let page = try await client.request(.get, String(link.dropFirst("https://kobling.test".count)))
            #expect(page.status == .ok)
            Self.expectSafePage(page)
            let pending = try await client.request(.get, "/v1/lists/\(list)/subscribers?status=pending", as: try await client.organiser())
            #expect(try pending.items().count == 1)

            let confirmed = try await Self.submit(page, with: client)
            #expect(confirmed.status == .ok, "\(confirmed.text)")
            #expect(confirmed.text.contains("søs@example.dk will receive"))
            Self.expectSafePage(confirmed)
            let subscribers = try await client.request(.get, "/v1/lists/\(list)/subscribers?status=confirmed", as: try await client.organiser())
            #expect(try subscribers.items().map { $0["email"] as? String } == ["søs@example.dk"])
            // The link works once.
            let again = try await Self.submit(page, with: client)
            #expect(again.status == .unprocessableContent)
            #expect(again.text.contains("unknown, used or expired"))
        }
    }

    @Test func thePasswordResetLinkOpensAPageThatSetsTheNewPassword() async throws {
        let app = try TestApp()
        try await app.test { client in
            _ = try await client.signup("rasmus@example.dk")
            try await client.request(.post, "/v1/auth/password-reset", json: #"{"email":"rasmus@example.dk"}"#)
            let link = try Self.link(
                "https://kobling.test/reset-password?token=", in: try #require(try await app.sentMail().last { $0.contains("reset-password?token=") }))
            let page = try await client.request(.get, String(link.dropFirst("https://kobling.test".count)))
            #expect(page.status == .ok)
            Self.expectSafePage(page)
            #expect(page.text.contains(#"type="password" name="newPassword""#))

            // Too short: the form again, saying why; the link still works.
            let refused = try await Self.submit(page, filling: ["newPassword": "kort"], with: client)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("<form") && refused.text.contains("10"))
            let changed = try await Self.submit(refused, filling: ["newPassword": "nyt kodeord på øen"], with: client)
            #expect(changed.status == .ok, "\(changed.text)")
            _ = try await client.login("rasmus@example.dk", password: "nyt kodeord på øen")
            let old = try await client.request(.post, "/v1/auth/login", json: #"{"email":"rasmus@example.dk","password":"correct horse battery"}"#)
            #expect(old.status == .unauthorized)
            // Used once, the link is spent.
            let reused = try await Self.submit(page, filling: ["newPassword": "endnu et nyt kodeord"], with: client)
            #expect(reused.status == .unprocessableContent)
        }
    }

    @Test func aLinkWithoutItsTokenOrAFormSentAsJSONIsRefusedAsAPage() async throws {
        try await TestApp().test { client in
            let bare = try await client.request(.get, "/reset-password")
            #expect(bare.status == .badRequest)
            Self.expectSafePage(bare)
            let json = try await client.request(.post, "/subscriptions/confirm", json: #"{"token":"x"}"#)
            #expect(json.status == .unsupportedMediaType)
            Self.expectSafePage(json)
        }
    }
}
