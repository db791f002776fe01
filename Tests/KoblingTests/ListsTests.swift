import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import KoblingCore
import Mail
@testable import KoblingAPI
@testable import Storage
import Testing

/// Mailing lists: double opt-in with the consent recorded, limits, and unsubscribing.
@Suite struct ListsTests {
    static func makeList(_ client: any TestClientProtocol, as organiser: Member) async throws -> String {
        let created = try await client.request(
            .post, "/v1/lists", json: #"{"name":"Månedens nyhedsbrev","consentText":"Jeg vil gerne modtage nyhedsbrevet én gang om måneden."}"#,
            as: organiser)
        #expect(created.status == .created)
        return try #require(try created.json()["id"] as? String)
    }

    @Test func subscribingNeedsConfirmationAndRecordsTheConsent() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await Self.makeList(client, as: organiser)
            let lists = try await client.request(.get, "/v1/lists").json()
            #expect((lists["items"] as? [[String: Any]])?.first?["name"] as? String == "Månedens nyhedsbrev")

            let noConsent = try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"ida@example.dk","consent":false}"#)
            #expect(noConsent.status == .unprocessableContent)
            #expect(try noConsent.pointers() == ["/consent"])
            let unknownList = try await client.request(.post, "/v1/lists/list_nope/subscriptions", json: #"{"email":"ida@example.dk","consent":true}"#)
            #expect(unknownList.status == .notFound)

            let asked = try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"Ida@Example.dk","name":"Ida Ærø","consent":true}"#)
            #expect(asked.status == .accepted)
            let mail = try #require(try await app.sentMail().last)
            #expect(mail.contains("To: =?UTF-8?B?"))
            let token = try #require(Mailed.token("https://kobling.test/subscriptions/confirm?token=", in: mail))

            let row = try #require(try await app.database.writer.read { db in
                try Row.fetchOne(db, sql: "SELECT status, consentText, consentAt, consentSource FROM subscriber WHERE email = 'ida@example.dk'")
            })
            #expect(row["status"] == "pending")
            #expect(row["consentText"] == "Jeg vil gerne modtage nyhedsbrevet én gang om måneden.")
            #expect((row["consentSource"] as String).hasPrefix("web form from"))
            #expect(row["consentAt"] as String? != nil)

            let confirmed = try await client.request(.post, "/v1/subscriptions/confirm", json: #"{"token":"\#(token)"}"#)
            #expect(confirmed.status == .ok)
            #expect(try confirmed.json()["status"] as? String == "confirmed")
            #expect(try await client.request(.post, "/v1/subscriptions/confirm", json: #"{"token":"\#(token)"}"#).status == .unprocessableContent)

            // Asking again when confirmed: the same answer, and no email.
            let again = try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"ida@example.dk","consent":true}"#)
            #expect(again.status == .accepted)
            #expect(try await app.sentMail().count == 1)

            // A member subscribes from their account without typing the address.
            let member = try await app.verifiedSignup(client, "ole@example.dk")
            #expect(try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"consent":true}"#, as: member).status == .accepted)
            let source = try await app.database.writer.read { db in
                try String.fetchOne(db, sql: "SELECT consentSource FROM subscriber WHERE email = 'ole@example.dk'")
            }
            #expect(source == "account")
            #expect(try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"consent":true}"#).status == .unprocessableContent)

            // Organisers see the subscribers with their consent, and export them.
            let page = try await client.request(.get, "/v1/lists/\(list)/subscribers?status=confirmed", as: organiser).json()
            let confirmedEmails = (page["items"] as? [[String: Any]])?.compactMap { $0["email"] as? String }
            #expect(confirmedEmails == ["ida@example.dk"])
            #expect(try await client.request(.get, "/v1/lists/\(list)/subscribers", as: member).status == .forbidden)
            #expect(try await client.request(.get, "/v1/lists/list_nope/subscribers", as: organiser).status == .notFound)
            let csv = try await client.request(.get, "/v1/lists/\(list)/subscribers.csv", as: organiser)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = csv.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first == "email,name,status,consent_text,consent_at,consent_source,created_at,confirmed_at")
            #expect(lines.count == 3)
            #expect(lines[1].hasPrefix("ida@example.dk,Ida Ærø,confirmed,Jeg vil gerne modtage nyhedsbrevet én gang om måneden.,"))
            #expect(lines[2].hasPrefix("ole@example.dk,,pending,"))
        }
    }

    @Test func csvFieldsAreQuotedAndNeverFormulas() {
        #expect(CSV.field("plain") == "plain")
        #expect(CSV.field("Hansen, Ida") == "\"Hansen, Ida\"")
        #expect(CSV.field("say \"hej\"") == "\"say \"\"hej\"\"\"")
        #expect(CSV.field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSV.field("@sum") == "'@sum")
    }

    @Test func aConfirmationLinkExpires() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let list = try await Self.makeList(client, as: try await client.organiser())
            try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"late@example.dk","consent":true}"#)
            let sent = try #require(try await app.sentMail().last)
            let token = try #require(Mailed.token("confirm?token=", in: sent))
            app.time.advance(by: 48 * 3600 + 1)
            #expect(try await client.request(.post, "/v1/subscriptions/confirm", json: #"{"token":"\#(token)"}"#).status == .unprocessableContent)
        }
    }

    @Test func subscribingIsLimitedPerAddress() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let list = try await Self.makeList(client, as: try await client.organiser())
            for _ in 0..<3 {
                #expect(try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"spam@example.dk","consent":true}"#).status == .accepted)
            }
            let refused = try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"spam@example.dk","consent":true}"#)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] != nil)
            #expect(try await app.sentMail().count == 3)
            app.time.advance(by: 3601)
            #expect(try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"spam@example.dk","consent":true}"#).status == .accepted)
        }
    }

    @Test func unsubscribingTakesOneClickAndResubscribingAConfirmation() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let list = try await Self.makeList(client, as: try await client.organiser())
            try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"bo@example.dk","consent":true}"#)
            let sent = try #require(try await app.sentMail().last)
            let token = try #require(Mailed.token("confirm?token=", in: sent))
            try await client.request(.post, "/v1/subscriptions/confirm", json: #"{"token":"\#(token)"}"#)
            let unsubscribeToken = try #require(try await app.database.writer.read { db in
                try String.fetchOne(db, sql: "SELECT unsubscribeToken FROM subscriber WHERE email = 'bo@example.dk'")
            })

            let page = try await client.request(.get, "/v1/unsubscribe/\(unsubscribeToken)")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("<form method=\"post\">"))
            #expect(try await app.database.subscription(unsubscribeToken: unsubscribeToken)?.status == .confirmed)

            let oneClick = try await client.request(
                .post, "/v1/unsubscribe/\(unsubscribeToken)", json: "List-Unsubscribe=One-Click",
                contentType: "application/x-www-form-urlencoded")
            #expect(oneClick.status == .ok)
            #expect(try await app.database.subscription(unsubscribeToken: unsubscribeToken)?.status == .unsubscribed)
            #expect(try await client.request(.post, "/v1/unsubscribe/\(unsubscribeToken)").status == .ok)
            #expect(try await client.request(.post, "/v1/unsubscribe/nonsense").status == .notFound)
            #expect(try await client.request(.get, "/v1/unsubscribe/nonsense").status == .notFound)

            // Coming back needs a new confirmation.
            #expect(try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"bo@example.dk","consent":true}"#).status == .accepted)
            #expect(try await app.sentMail().count == 2)
            #expect(try await app.database.subscription(unsubscribeToken: unsubscribeToken)?.status == .pending)
        }
    }
}
