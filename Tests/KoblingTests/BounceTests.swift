import Foundation
import GRDB
import HummingbirdTesting
import KoblingCore
import Mail
import Mailer
@testable import Background
@testable import KoblingAPI
@testable import Storage
import Testing

/// Bounces at send time suppress an address until it confirms again.
@Suite(.serialized) struct BounceTests {
    @Test func hardAndRepeatedSoftBouncesSuppressUntilTheAddressConfirmsAgain() async throws {
        let server = try SMTPTestServer(refuse: ["gone@example.dk": 550, "full@example.dk": 452])
        let smtp = try server.transport("tls=none")
        var settings = OutboxWorker.Settings.manual
        settings.maxAttempts = 1
        let app = try TestApp(mail: smtp, outbox: settings)
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await NewsletterTests.list(
                client, as: organiser, subscribers: [("ok@example.dk", "Ok"), ("gone@example.dk", "Gone"), ("full@example.dk", "Full")])
            func sendIssue() async throws -> [String: Int] {
                let issue = try await NewsletterTests.issue(client, list: list, as: organiser)
                try await client.request(.post, "/v1/newsletter/issues/\(issue)/send", as: organiser)
                try await app.services.outbox.runOnce()
                return try #require(try await client.request(.get, "/v1/newsletter/issues/\(issue)", as: organiser).json()["delivery"] as? [String: Int])
            }
            func status(_ email: String) async throws -> SubscriptionStatus? {
                try await app.database.allSubscribers(listId: list).first { $0.email == email }?.status
            }

            // The 550 is a hard bounce: suppressed at once. The 452 is one soft bounce.
            #expect(try await sendIssue() == ["queued": 0, "sending": 0, "sent": 1, "failed": 2, "skipped": 0])
            #expect(try await status("gone@example.dk") == .suppressed)
            #expect(try await app.database.suppression(of: "gone@example.dk")?.hasPrefix("hard bounce: permanent failure at recipient (550)") == true)
            #expect(try await status("full@example.dk") == .confirmed)
            #expect(app.services.outbox.pausedReason == nil)

            // Two more soft bounces (three messages in 30 days) suppress full@ too.
            #expect(try await sendIssue()["sent"] == 1)
            #expect(try await status("full@example.dk") == .confirmed)
            _ = try await sendIssue()
            #expect(try await status("full@example.dk") == .suppressed)
            #expect(try await app.database.suppression(of: "full@example.dk")?.hasPrefix("3 soft bounces") == true)
            #expect(try await sendIssue() == ["queued": 0, "sending": 0, "sent": 1, "failed": 0, "skipped": 0])

            // Mail the address did not ask for is skipped; a confirmation it asks for goes out.
            try await client.request(.post, "/v1/newsletter/issues/\(try await NewsletterTests.issue(client, list: list, as: organiser))/test",
                                     json: #"{"to":["gone@example.dk"]}"#, as: organiser)
            try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"gone@example.dk","consent":true}"#)
            try await app.services.outbox.runOnce()
            let rows = try await app.database.outbox(status: nil, page: .init(limit: 200)).items.filter { $0.recipient == "gone@example.dk" }
            #expect(rows.first { $0.kind == "newsletterTest" }?.status == .skipped)
            #expect(rows.first { $0.kind == "newsletterTest" }?.lastError?.hasPrefix("not sent: the address is suppressed") == true)
            #expect(rows.first { $0.kind == "subscriptionConfirmation" }?.attempts == 1)

            // Confirming again ends the suppression.
            let message = try #require(try await app.database.writer.read { db in
                try Data.fetchOne(db, sql: "SELECT message FROM outbox WHERE kind = 'subscriptionConfirmation' AND recipient = 'gone@example.dk'")
            })
            let text = try JSONDecoder().decode(MailMessage.self, from: message).text
            let token = try #require(text.firstMatch(of: /confirm\?token=([A-Za-z0-9_-]+)/)?.1)
            #expect(try await client.request(.post, "/v1/subscriptions/confirm", json: #"{"token":"\#(token)"}"#).status == .ok)
            #expect(try await app.database.suppression(of: "gone@example.dk") == nil)
            #expect(try await status("gone@example.dk") == .confirmed)
        }
        // The server refused every message to gone@ and full@: none arrived.
        let arrived = try server.arrivals().flatMap(\.envelope.to)
        #expect(arrived.count == 4 && arrived.allSatisfy { $0 == "ok@example.dk" })
    }
}
