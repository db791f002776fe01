import Foundation
@testable import Background
@testable import KoblingAPI
import Mail
import Mailer
import Storage
import Testing

/// The outbox: mail is queued with the change that causes it and sent by the worker, retried,
/// recorded, paused and resumed.
@Suite(.serialized) struct OutboxTests {
    static func message(to address: String) throws -> OutboxMail {
        let message = MailMessage(from: Mailbox("hub@kobling.test"), to: [Mailbox(address)], subject: "Hej \(address)", text: "Tekst med æøå")
        return OutboxMail(kind: "test", dedupeKey: "test:\(address)", recipient: address, message: try JSONEncoder().encode(message))
    }

    @Test func aResetMailIsQueuedWithItsLinkAndSentByTheWorker() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            _ = try await app.verifiedSignup(client, "hanne@example.dk")
            let organiser = try await client.organiser()
            try await client.request(.post, "/v1/auth/password-reset", json: #"{"email":"hanne@example.dk"}"#)
            let queued = try await client.request(.get, "/v1/outbox?status=queued", as: organiser).json()
            let items = try #require(queued["items"] as? [[String: Any]])
            #expect(items.map { $0["status"] as? String } == ["queued"])
            #expect(items.first?["kind"] as? String == "passwordReset")
            #expect((queued["counts"] as? [String: Int])?["queued"] == 1)

            #expect(try await app.sentMail().count == 2)
            let sent = try await client.request(.get, "/v1/outbox?status=sent", as: organiser).json()
            let entry = try #require((sent["items"] as? [[String: Any]])?.first)
            #expect(entry["recipient"] as? String == "hanne@example.dk")
            #expect(entry["messageId"] as? String != nil)
            #expect(entry["attempts"] as? Int == 1)
            #expect(sent["paused"] is NSNull)
            #expect(try await client.request(.get, "/v1/outbox?status=lost", as: organiser).status == .badRequest)
        }
    }

    @Test func theSameDedupeKeyQueuesOnce() async throws {
        let app = try TestApp()
        try await app.database.enqueue([try Self.message(to: "a@example.dk"), try Self.message(to: "a@example.dk")])
        try await app.database.enqueue([try Self.message(to: "a@example.dk")])
        #expect(try await app.database.outboxCounts()[.queued] == 1)
    }

    @Test func transientFailuresAreRetriedAndPermanentOnesRecorded() async throws {
        let server = try SMTPTestServer(refuse: ["busy@example.dk": 451, "gone@example.dk": 550])
        let smtp = try server.transport("tls=none")
        var settings = OutboxWorker.Settings.manual
        settings.maxAttempts = 3
        let app = try TestApp(mail: smtp, outbox: settings)
        try await app.database.enqueue(["ok@example.dk", "busy@example.dk", "gone@example.dk"].map(Self.message))
        try await app.services.outbox.runOnce()

        var entries = try await app.database.outbox(status: nil, page: .init()).items
        func status(_ address: String) -> OutboxEntry? { entries.first { $0.recipient == address } }
        #expect(status("ok@example.dk")?.status == .sent)
        #expect(status("ok@example.dk")?.reply?.hasPrefix("250") == true)
        #expect(status("gone@example.dk")?.status == .failed)
        #expect(status("gone@example.dk")?.lastError?.contains("550") == true)
        #expect(status("busy@example.dk")?.status == .queued)
        #expect(status("busy@example.dk")?.lastError?.contains("451") == true)
        #expect(try server.arrivals().flatMap(\.envelope.to) == ["ok@example.dk"])

        // Not due yet: nothing happens. After the backoff, a second and third try, then it gives up.
        #expect(try await app.services.outbox.runOnce() == 0)
        app.time.advance(by: 31)
        #expect(try await app.services.outbox.runOnce() == 1)
        app.time.advance(by: 61)
        #expect(try await app.services.outbox.runOnce() == 1)
        entries = try await app.database.outbox(status: nil, page: .init()).items
        #expect(status("busy@example.dk")?.status == .failed)
        #expect(status("busy@example.dk")?.attempts == 3)
        #expect(status("busy@example.dk")?.lastError?.hasPrefix("gave up after 3 attempts") == true)
        #expect(app.services.outbox.pausedReason == nil)
    }

    @Test func aSetupFaultPausesUntilResumed() async throws {
        let server = try SMTPTestServer()
        let smtp = try server.transport("tls=required")
        let app = try TestApp(mail: smtp)
        try await app.makeOrganiser()
        try await app.database.enqueue(["a@example.dk", "b@example.dk", "c@example.dk", "d@example.dk", "e@example.dk"].map(Self.message))
        try await app.services.outbox.runOnce()
        let paused = try #require(app.services.outbox.pausedReason)
        #expect(paused.contains("STARTTLS"))
        #expect(try await app.database.outboxCounts()[.queued] == 5)
        try await app.test { client in
            let organiser = try await client.organiser()
            let listing = try await client.request(.get, "/v1/outbox", as: organiser).json()
            #expect((listing["paused"] as? String)?.contains("STARTTLS") == true)
            #expect(try await client.request(.post, "/v1/outbox/resume", as: organiser).status == .noContent)
        }
        #expect(app.services.outbox.pausedReason == nil)
    }

    @Test func mailInFlightAtACrashIsSentAgain() async throws {
        let app = try TestApp()
        try await app.database.enqueue(["a@example.dk", "b@example.dk"].map(Self.message))
        // A worker claims both and the process dies before the server answers.
        #expect(try await app.database.claimNextMail() != nil)
        #expect(try await app.database.claimNextMail() != nil)
        #expect(try await app.database.claimNextMail() == nil)
        #expect(try await app.database.outboxCounts()[.sending] == 2)
        #expect(try await app.database.requeueInterruptedMail() == 2)
        #expect(try await app.sentMail().count == 2)
        let entries = try await app.database.outbox(status: .sent, page: .init()).items
        #expect(entries.count == 2 && entries.allSatisfy { $0.attempts == 2 })
    }

    @Test func messagesTheJournalSaysWereTakenAreNotSentAgain() async throws {
        let app = try TestApp()
        try await app.database.enqueue(["a@example.dk", "b@example.dk", "c@example.dk"].map(Self.message))
        let a = try #require(try await app.database.claimNextMail())
        let b = try #require(try await app.database.claimNextMail())
        // The server took a's message and the sender wrote that down; the process died before
        // the outcome reached the database, and while a line about b was half written.
        try await blocking { try app.database.recordTaken(id: a.entry.id, messageId: "a1@kobling.test", reply: "250 2.0.0 Ok: queued\tas X") }
        let journal = app.services.configuration.resolvedDatabasePath + "-deliveries"
        let handle = try #require(FileHandle(forWritingAtPath: journal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\(b.entry.id)\t2026-11-23T10:00:00Z\tb1@kob".utf8))
        try handle.close()

        #expect(try await app.database.requeueInterruptedMail() == 1)
        let sent = try await app.database.outbox(status: .sent, page: .init()).items
        #expect(sent.map(\.id) == [a.entry.id])
        #expect(sent.first?.messageId == "a1@kobling.test" && sent.first?.reply == "250 2.0.0 Ok: queued as X")
        #expect(try String(contentsOfFile: journal, encoding: .utf8).isEmpty, "the journal is emptied once applied")
        // b goes out again, and the third row; a does not.
        let mail = try await app.sentMail()
        let recipients = mail.flatMap { $0.split(separator: "\r\n").filter { $0.hasPrefix("To: ") }.map { String($0.dropFirst(4)) } }
        #expect(Set(recipients) == Set(["a@example.dk", "b@example.dk", "c@example.dk"]).subtracting([a.entry.recipient]))
        #expect(recipients.count == 2)
    }

    @Test func theWorkerKeepsToItsRate() async throws {
        var settings = OutboxWorker.Settings.manual
        settings.rate = 20
        let app = try TestApp(outbox: settings)
        try await app.database.enqueue((0..<11).map { try Self.message(to: "p\($0)@example.dk") })
        let clock = ContinuousClock()
        let started = clock.now
        #expect(try await app.services.outbox.runOnce() == 11)
        // Eleven messages at 20 a second: ten gaps of 50 ms at least, whatever the batches.
        #expect(clock.now - started >= .milliseconds(500))
        #expect(try await app.sentMail().count == 11)
    }
}

extension OutboxTests {
    /// A shutdown in the middle of a long send does not wait for the rest: the connections finish the
    /// message under way, record it, and leave the others queued for the next start.
    @Test func aShutdownStopsALongSendAfterTheMessagesUnderWay() async throws {
        var settings = OutboxWorker.Settings.manual
        settings.rate = 20
        let app = try TestApp(outbox: settings)
        try await app.database.enqueue((0..<100).map { try Self.message(to: "p\($0)@example.dk") })
        let worker = app.services.outbox
        let sending = Task { try await worker.runOnce() }
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let asked = clock.now
        worker.stop()
        let attempted = try await sending.value
        #expect(clock.now - asked < .seconds(1))
        #expect(attempted > 0 && attempted < 100)
        let counts = try await app.database.outboxCounts()
        #expect(counts[.sent] == attempted)
        #expect(counts[.sending] == nil)
        #expect(counts[.queued] == 100 - attempted)
    }
}
