import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import KoblingCore
import Mail
import NIOCore
@testable import Background
@testable import KoblingAPI
@testable import Storage
import Testing

/// Newsletter issues: written, previewed, tested, sent to confirmed subscribers only, controlled
/// while they go out, scheduled, and kept in a public archive without personal data.
@Suite struct NewsletterTests {
    static let consentAt = "2026-08-01T10:00:00Z"

    /// A list with the given confirmed subscribers (address, name), imported as CSV.
    static func list(_ client: any TestClientProtocol, as organiser: Member, subscribers: [(String, String?)]) async throws -> String {
        let list = try await ListsTests.makeList(client, as: organiser)
        var csv = "email,name,consent_at\r\n"
        for (email, name) in subscribers { csv += "\(email),\(CSV.field(name ?? "")),\(consentAt)\r\n" }
        let imported = try await client.request(.post, "/v1/lists/\(list)/subscribers.csv", json: csv, as: organiser, contentType: "text/csv")
        #expect(imported.status == .ok, "import failed: \(imported.text)")
        return list
    }

    static func issue(_ client: any TestClientProtocol, list: String, as organiser: Member, subject: String = "Nyt fra hubben {{#name}}til {{firstName}}{{/name}}") async throws -> String {
        let body = #"Hej {{#name}}{{firstName}}{{/name}}{{^name}}alle{{/name}},\n\n**Sundheds-AI** i Øresund: se [programmet](https://kobling.test/events)."#
        let created = try await client.request(
            .post, "/v1/newsletter/issues", json: #"{"listId":"\#(list)","subject":"\#(subject)","preheader":"Tre nye pitches","body":"\#(body)"}"#,
            as: organiser)
        #expect(created.status == .created, "create failed: \(created.text)")
        return try #require(try created.json()["id"] as? String)
    }

    static func unsubscribeToken(_ app: TestApp, _ email: String) async throws -> String {
        try #require(try await app.database.writer.read { db in
            try String.fetchOne(db, sql: "SELECT unsubscribeToken FROM subscriber WHERE email = ?", arguments: [email])
        })
    }

    @Test func anIssueGoesToConfirmedSubscribersOnlyPersonalisedAndIntoTheArchive() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await Self.list(client, as: organiser, subscribers: [("aase@example.dk", "Åse Ødegård"), ("bo@example.dk", nil), ("carl@example.dk", "Carl <b>Bold</b>")])
            // One who has not confirmed, and one who left.
            try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"pending@example.dk","consent":true}"#)
            let left = try await client.request(
                .post, "/v1/lists/\(list)/subscribers.csv", json: "email,status\nleft@example.dk,unsubscribed\n", as: organiser, contentType: "text/csv")
            #expect(try left.json()["added"] as? Int == 1)
            let before = try await app.sentMail().count

            let bad = try await client.request(
                .post, "/v1/newsletter/issues", json: #"{"listId":"\#(list)","subject":"Hej {{nmae}}","body":"x"}"#, as: organiser)
            #expect(bad.status == .unprocessableContent)
            #expect(try bad.pointers() == ["/subject"])
            let noList = try await client.request(.post, "/v1/newsletter/issues", json: #"{"listId":"list_nope","subject":"x","body":"x"}"#, as: organiser)
            #expect(try noList.pointers() == ["/listId"])

            let issue = try await Self.issue(client, list: list, as: organiser)
            let preview = try await client.request(.get, "/v1/newsletter/issues/\(issue)/preview?name=%C3%85se+%C3%98deg%C3%A5rd", as: organiser).json()
            #expect(preview["subject"] as? String == "Nyt fra hubben til Åse")
            #expect((preview["html"] as? String)?.contains("Hej Åse,") == true)
            #expect((preview["html"] as? String)?.contains("<strong>Sundheds-AI</strong>") == true)
            #expect((preview["text"] as? String)?.contains("Sundheds-AI i Øresund: se programmet (https://kobling.test/events).") == true)
            #expect((preview["html"] as? String)?.contains("Tre nye pitches") == true)

            let test = try await client.request(.post, "/v1/newsletter/issues/\(issue)/test", json: #"{"to":["redaktion@example.dk"],"name":"Redaktør"}"#, as: organiser)
            #expect(test.status == .accepted)
            let testMail = try #require(try await app.sentMail().last)
            #expect(testMail.contains("Subject: =?UTF-8?B?"))
            #expect(QuotedPrintable.decode(testMail).contains("Hej Redaktør,"))
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(issue)/test", json: #"{"to":["nope"]}"#, as: organiser).pointers() == ["/to/0"])
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(issue)/test", json: #"{"to":[]}"#, as: organiser).pointers() == ["/to"])

            let edited = try await client.request(
                .patch, "/v1/newsletter/issues/\(issue)", json: #"{"preheader":"Fire nye pitches"}"#, as: organiser, headers: [.ifMatch: "\"v1\""])
            #expect(edited.status == .ok)
            #expect(edited.headers[.eTag] == "\"v2\"")
            let stale = try await client.request(
                .patch, "/v1/newsletter/issues/\(issue)", json: #"{"preheader":"x"}"#, as: organiser, headers: [.ifMatch: "\"v1\""])
            #expect(stale.status == .preconditionFailed)

            let sending = try await client.request(.post, "/v1/newsletter/issues/\(issue)/send", as: organiser)
            #expect(sending.status == .ok)
            #expect(try sending.json()["status"] as? String == "sending")
            let mail = Array(try await app.sentMail().dropFirst(before + 1))
            #expect(mail.count == 3)
            let shown = try await client.request(.get, "/v1/newsletter/issues/\(issue)", as: organiser).json()
            #expect(shown["status"] as? String == "sent")
            #expect((shown["delivery"] as? [String: Int])?["sent"] == 3)
            #expect(shown["sentAt"] as? String != nil)

            let recipients = mail.compactMap { $0.components(separatedBy: "\r\n").first { $0.hasPrefix("To: ") } }
            #expect(recipients.contains("To: bo@example.dk"))
            #expect(!mail.joined().contains("pending@example.dk") && !mail.joined().contains("left@example.dk"))
            for message in mail {
                let to = try #require(["aase", "bo", "carl"].first { message.contains("\($0)@example.dk") })
                let token = try await Self.unsubscribeToken(app, "\(to)@example.dk")
                #expect(message.contains("List-Unsubscribe: <https://kobling.test/v1/unsubscribe/\(token)>"))
                #expect(message.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
                #expect(message.contains("List-Id: "))
                let body = QuotedPrintable.decode(message)
                switch to {
                case "aase": #expect(body.contains("Hej Åse,"))
                case "bo": #expect(body.contains("Hej alle,"))
                default:
                    #expect(body.contains("Hej Carl,"))
                    #expect(message.contains("To: \"Carl <b>Bold</b>\" <carl@example.dk>"))
                }
            }

            #expect(try await client.request(.patch, "/v1/newsletter/issues/\(issue)", json: #"{"subject":"x"}"#, as: organiser).status == .conflict)
            #expect(try await client.request(.delete, "/v1/newsletter/issues/\(issue)", as: organiser).status == .conflict)
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(issue)/send", as: organiser).status == .conflict)

            // The archive: the issue for anyone, without anybody's name, address or link.
            let archive = try await client.request(.get, "/v1/newsletter/archive").json()
            let items = try #require(archive["items"] as? [[String: Any]])
            #expect(items.map { $0["id"] as? String } == [issue])
            #expect(items.first?["subject"] as? String == "Nyt fra hubben ")
            let archived = try await client.request(.get, "/v1/newsletter/archive/\(issue)")
            #expect(archived.status == .ok)
            let page = try await client.request(.get, "/archive/\(issue)")
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            // Served so that no script runs, whatever the page holds.
            for served in [page, try await client.request(.get, "/archive")] {
                let policy = try #require(served.headers[.contentSecurityPolicy])
                #expect(policy.contains("default-src 'none'") && !policy.contains("script-src"))
                #expect(served.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            }
            for text in [archived.text, page.text] {
                #expect(text.contains("Hej alle,"))
                #expect(text.contains("Fire nye pitches"))
                for personal in ["Åse", "aase@", "bo@example.dk", "Carl", "/v1/unsubscribe/"] { #expect(!text.contains(personal), "\(personal) in the archive") }
            }
            #expect(try await client.request(.get, "/archive").text.contains("/archive/\(issue)"))
            #expect(items.first?["url"] as? String == "https://kobling.test/archive/\(issue)")
            #expect(items.first?["html"] == nil)
            #expect(try archived.json()["html"] is String)
            // Rendered again for a server at another address, the links follow it.
            var moved = app.services.configuration
            moved.publicBaseURL = "https://hub.example.org"
            try await app.database.refreshArchive(render: IssueTemplates(configuration: moved).archive)
            let again = try await client.request(.get, "/v1/newsletter/archive").items()
            #expect(again.first?["url"] as? String == "https://hub.example.org/archive/\(issue)")
            #expect(try await client.request(.get, "/archive/\(issue)").text.contains("https://hub.example.org/archive/\(issue)"))
            let draft = try await Self.issue(client, list: list, as: organiser)
            #expect(try await client.request(.get, "/v1/newsletter/archive/\(draft)").status == .notFound)
            #expect(try await client.request(.get, "/archive/\(draft)").status == .notFound)
            #expect(try await client.request(.delete, "/v1/newsletter/issues/\(draft)", as: organiser).status == .noContent)

            let listed = try await client.request(.get, "/v1/newsletter/issues?listId=\(list)&status=sent", as: organiser).json()
            #expect((listed["items"] as? [[String: Any]])?.count == 1)
            let rows = try await client.request(.get, "/v1/outbox?issueId=\(issue)", as: organiser).json()
            #expect((rows["items"] as? [[String: Any]])?.count == 3)
        }
    }

    @Test func pausesUnsubscribesAndCancelsDuringASendAreRespected() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await Self.list(client, as: organiser, subscribers: (1...5).map { ("p\($0)@example.dk", "P \($0)") })
            let issue = try await Self.issue(client, list: list, as: organiser)
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(issue)/resume", as: organiser).status == .conflict)
            try await client.request(.post, "/v1/newsletter/issues/\(issue)/send", json: "{}", as: organiser)
            let paused = try await client.request(.post, "/v1/newsletter/issues/\(issue)/pause", as: organiser)
            #expect(try paused.json()["status"] as? String == "paused")
            #expect(try await app.services.outbox.runOnce() == 0)

            // p3 leaves while the send waits: their row is skipped, not sent.
            try await client.request(.post, "/v1/unsubscribe/\(try await Self.unsubscribeToken(app, "p3@example.dk"))")
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(issue)/resume", as: organiser).status == .ok)
            let mail = try await app.sentMail()
            #expect(mail.count == 4)  // imported subscribers get no confirmation: these are the newsletters
            #expect(!mail.contains { $0.contains("p3@example.dk") })
            let shown = try await client.request(.get, "/v1/newsletter/issues/\(issue)", as: organiser).json()
            #expect(shown["delivery"] as? [String: Int] == ["queued": 0, "sending": 0, "sent": 4, "failed": 0, "skipped": 1])
            let skipped = try await client.request(.get, "/v1/outbox?status=skipped", as: organiser).items()
            #expect(skipped.first?["lastError"] as? String == "not sent: the subscriber is unsubscribed now")

            let second = try await Self.issue(client, list: list, as: organiser)
            try await client.request(.post, "/v1/newsletter/issues/\(second)/send", as: organiser)
            let cancelled = try await client.request(.post, "/v1/newsletter/issues/\(second)/cancel", as: organiser).json()
            #expect(cancelled["status"] as? String == "cancelled")
            #expect(cancelled["delivery"] as? [String: Int] == ["queued": 0, "sending": 0, "sent": 0, "failed": 0, "skipped": 4])
            #expect(try await app.services.outbox.runOnce() == 0)
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(second)/cancel", as: organiser).status == .conflict)
        }
    }

    /// The sender holds rows it claimed ahead; a pause or cancel makes it hand them back unsent.
    @Test func rowsTheSenderHoldsGoBackWhenTheirSendStops() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await Self.list(client, as: organiser, subscribers: (1...6).map { ("h\($0)@example.dk", nil) })
            let issue = try await Self.issue(client, list: list, as: organiser)
            try await client.request(.post, "/v1/newsletter/issues/\(issue)/send", as: organiser)
            let holder = LeaseHolder(id: "test")
            let ledger = OutboxLedger { requests, renew in try app.database.settleAndClaim(requests, holder: holder, terms: .standard, renew: renew) }
            let writer = Thread { ledger.run() }
            writer.start()
            defer { ledger.close() }
            var feed = SendFeed(ledger: ledger)
            let first = try #require(try feed.next())
            try await client.request(.post, "/v1/newsletter/issues/\(issue)/pause", as: organiser)
            try feed.record(.sent(id: first.entry.id, messageId: "m@kobling.test", reply: "250 Ok"), claiming: true)
            // The ledger answers in order: once a later request is answered, so is that one, and
            // the five rows the sender held are handed back rather than sent.
            _ = try ledger.submit(.init(outcome: nil, claim: 0)).wait()
            #expect(try feed.next() == nil)
            try feed.finish()
            let delivery = try await app.database.issue(id: issue).delivery
            #expect(delivery.sent == 1 && delivery.sending == 0 && delivery.queued == 5)
            let queued = try await app.database.outbox(status: .queued, issueId: issue, page: .init()).items
            #expect(queued.allSatisfy { $0.attempts == 0 }, "a row handed back was not attempted")

            // Claimed when the send is cancelled: handed back, the rows are skipped as the rest were.
            try await client.request(.post, "/v1/newsletter/issues/\(issue)/resume", as: organiser)
            let held = try await blocking { try app.database.settleAndClaim([.init(outcome: nil, claim: 2)], holder: holder, terms: .standard) }.claimed[0]
            #expect(held.count == 2)
            try await client.request(.post, "/v1/newsletter/issues/\(issue)/cancel", as: organiser)
            let answers = try await blocking { try app.database.settleAndClaim([.init(outcome: nil, claim: 1, release: held.map(\.entry.id))], holder: holder, terms: .standard) }
            #expect(answers.claimed[0].isEmpty && !answers.issuesSending.contains(issue))
            let after = try await app.database.issue(id: issue).delivery
            #expect(after.sent == 1 && after.sending == 0 && after.queued == 0 && after.skipped == 5)
        }
    }

    @Test func aScheduledIssueGoesOutOnTimeAndALateOneWaitsForAnOrganiser() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await Self.list(client, as: organiser, subscribers: [("a@example.dk", "A"), ("b@example.dk", nil)])
            let now = app.services.clock.now()
            let inAnHour = Timestamp.string(now + 3600)
            let onTime = try await Self.issue(client, list: list, as: organiser)
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(onTime)/send", json: #"{"at":"\#(Timestamp.string(now - 60))"}"#, as: organiser).pointers() == ["/at"])
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(onTime)/send", json: #"{"at":"tomorrow"}"#, as: organiser).pointers() == ["/at"])
            // A schedule sent without its content type is refused, never taken for "send now".
            let untyped = try await client.executeRequest(
                uri: "/v1/newsletter/issues/\(onTime)/send", method: .post, headers: [.authorization: "Bearer \(organiser.token)"],
                body: ByteBuffer(string: #"{"at":"\#(inAnHour)"}"#))
            #expect(untyped.status == .unsupportedMediaType)
            #expect(try await client.request(.get, "/v1/newsletter/issues/\(onTime)", as: organiser).json()["status"] as? String == "draft")
            let scheduled = try await client.request(.post, "/v1/newsletter/issues/\(onTime)/send", json: #"{"at":"\#(inAnHour)"}"#, as: organiser).json()
            #expect(scheduled["status"] as? String == "scheduled")
            #expect(scheduled["scheduledAt"] as? String == inAnHour)
            #expect(try await app.services.outbox.runOnce() == 0)

            app.time.advance(by: 3600 + 5)
            #expect(try await app.services.outbox.runOnce() == 2)
            #expect(try await client.request(.get, "/v1/newsletter/issues/\(onTime)", as: organiser).json()["status"] as? String == "sent")

            // Scheduled in an hour, but the server was down for three.
            let late = try await Self.issue(client, list: list, as: organiser)
            try await client.request(.post, "/v1/newsletter/issues/\(late)/send", json: #"{"at":"\#(Timestamp.string(app.services.clock.now() + 3600))"}"#, as: organiser)
            app.time.advance(by: 3 * 3600)
            #expect(try await app.services.outbox.runOnce() == 0)
            let held = try await client.request(.get, "/v1/newsletter/issues/\(late)", as: organiser).json()
            #expect(held["status"] as? String == "held")
            #expect((held["statusReason"] as? String)?.contains("not running") == true)
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(late)/send", as: organiser).status == .ok)
            #expect(try await app.services.outbox.runOnce() == 2)
        }
    }

    @Test func anImportNamesEveryBadLineAndNeverResubscribesThoseWhoLeft() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await ListsTests.makeList(client, as: organiser)
            func post(_ csv: String, type: String = "text/csv") async throws -> TestResponse {
                try await client.request(.post, "/v1/lists/\(list)/subscribers.csv", json: csv, as: organiser, contentType: type)
            }
            let bad = try await post("email,name,consent_at\r\nok@example.dk,Ok,\(Self.consentAt)\r\nnot-an-address,X,\(Self.consentAt)\r\nno@example.dk,No,\r\nok@example.dk,Twice,\(Self.consentAt)\r\n")
            #expect(bad.status == .unprocessableContent)
            #expect(try bad.pointers() == ["/lines/3/email", "/lines/4/consent_at", "/lines/5/email"])
            #expect(try await app.database.allSubscribers(listId: list).isEmpty)
            #expect(try await post("{}", type: "application/json").status == .unsupportedMediaType)
            #expect(try await post("name\nx\n").pointers() == ["/lines/1"])
            #expect(try await post("email\n\"open").pointers() == ["/lines/2"])

            let csv = "\u{FEFF}email,name,consent_at,consent_source\r\n\"hansen@example.dk\",\"Hansen, Ida\nKbh.\",2026-08-01T12:00:00+02:00,tilmeldt på Health Summit\r\nøjvind@example.dk,Øjvind,\(Self.consentAt),\r\n"
            let report = try await post(csv).json()
            #expect(report["added"] as? Int == 2)
            let subscribers = try await app.database.allSubscribers(listId: list)
            let hansen = try #require(subscribers.first { $0.email == "hansen@example.dk" })
            #expect(hansen.name == "Hansen, Ida\nKbh.")
            #expect(hansen.status == .confirmed)
            #expect(hansen.consentAt == "2026-08-01T10:00:00Z")
            #expect(hansen.consentSource == "tilmeldt på Health Summit")
            #expect(subscribers.first { $0.email == "øjvind@example.dk" }?.consentSource.hasPrefix("imported by organiser@kobling.test") == true)

            // Øjvind leaves; importing our own export again changes nothing and subscribes nobody.
            try await client.request(.post, "/v1/unsubscribe/\(try await Self.unsubscribeToken(app, "øjvind@example.dk"))")
            let export = try await client.request(.get, "/v1/lists/\(list)/subscribers.csv", as: organiser).text
            let again = try await post(export).json()
            #expect(again["added"] as? Int == 0 && again["updated"] as? Int == 0)
            let resubscribe = try await post("email,consent_at\nøjvind@example.dk,\(Self.consentAt)\n").json()
            let skipped = try #require((resubscribe["skipped"] as? [[String: Any]])?.first)
            #expect(skipped["line"] as? Int == 2)
            #expect((skipped["reason"] as? String)?.contains("only they can subscribe again") == true)
            #expect(try await app.database.allSubscribers(listId: list).first { $0.email == "øjvind@example.dk" }?.status == .unsubscribed)
        }
    }

    /// Queries as browsers and curl write them: `+` is a space, `%2B` a plus.
    @Test func queryStringsReadPlusAsASpace() {
        let parsed = Query.parse("name=Mette+S%C3%B8rensen&q=a%2Bb&flag&=x")
        #expect(parsed.map(\.name) == ["name", "q", "flag", ""])
        #expect(parsed.map(\.value) == ["Mette Sørensen", "a+b", "", "x"])
    }

    @Test func csvRecordsKnowTheirLines() throws {
        let records = try CSV.parse("a,b\r\n\"x\r\ny\",\"say \"\"hej\"\"\"\n\nlast,\n")
        #expect(records == [
            CSV.Record(line: 1, fields: ["a", "b"]),
            CSV.Record(line: 2, fields: ["x\r\ny", "say \"hej\""]),
            CSV.Record(line: 5, fields: ["last", ""]),
        ])
        #expect(throws: CSV.Malformed.self) { try CSV.parse("a\"b\n") }
        #expect(CSV.unguarded(CSV.field("=SUM(A1)")) == "=SUM(A1)")
    }
}
