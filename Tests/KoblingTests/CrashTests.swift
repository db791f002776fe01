import Foundation
import GRDB
import KoblingCore
@testable import Background
@testable import KoblingAPI
@testable import Storage
import Testing

/// A real `kobling serve` process killed with SIGKILL in the middle of a newsletter send, then
/// started again: at the SMTP server, every confirmed subscriber has the issue, nobody else does,
/// and the only copies that came twice are of messages that were in flight at the kill.
@Suite(.serialized) struct CrashTests {
    static let connections = 4

    /// `kobling serve` on the folder, sending to the given SMTP server.
    static func serve(folder: URL, smtpPort: Int, rate: Int = 2000) async throws -> ServerProcess {
        try await ServerProcess(folder: folder, environment: [
            "KOBLING_SMTP_URL": "smtp://127.0.0.1:\(smtpPort)?tls=none&connections=\(connections)",
            "KOBLING_MAIL_RATE": "\(rate)",
            "KOBLING_MAIL_FROM": "Kobling <nyhedsbrev@kobling.test>",
        ])
    }

    @Test func aSendKilledMidwayReachesEveryConfirmedSubscriberAndRepeatsOnlyWhatWasInFlight() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try AppDatabase.open(path: folder.appendingPathComponent("kobling.sqlite").path)

        // 2,000 confirmed subscribers, and some who must get nothing.
        let list = try await database.createList(name: "Månedsbrev", description: "", consentText: "Ja tak")
        let confirmed = (0..<2000).map { "reader\($0)@example.dk" }
        let unsubscribed = (0..<5).map { "left\($0)@example.dk" }
        let suppressed = (0..<5).map { "bounced\($0)@example.dk" }
        let pending = (0..<5).map { "pending\($0)@example.dk" }
        var csv = "email,name,status,consent_at\n"
        for (index, email) in (confirmed + suppressed + pending).enumerated() { csv += "\(email),Læser \(index),confirmed,2026-08-01T10:00:00Z\n" }
        for email in unsubscribed { csv += "\(email),,unsubscribed,\n" }
        _ = try await database.importSubscribers(listId: list.id, try SubscriberCSV.read(csv), source: "test")
        for email in suppressed {
            try await database.recordBounce(email: email, hard: true, outboxId: "earlier-\(email)", detail: "550 no such user")
        }
        // Asked but never confirmed.
        let pendingList = pending
        try await database.writer.write { db in
            for email in pendingList { try db.execute(sql: "UPDATE subscriber SET status = 'pending' WHERE email = ?", arguments: [email]) }
        }
        let issue = try await database.createIssue(
            listId: list.id, draft: IssueDraft(subject: "Nyt fra hubben", preheader: "", body: "Hej {{firstName}}, her er nyt om **sundheds-AI**."))
        _ = try await database.sendIssue(id: issue.id)
        let expected = try await database.allSubscribers(listId: list.id).filter { $0.status == .confirmed }.map(\.email)
        #expect(Set(expected) == Set(confirmed))

        let smtp = try SMTPTestServer()
        func arrived() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: smtp.folder.appendingPathComponent("mail").path))?
                .filter { $0.hasSuffix(".eml") }.count ?? 0
        }

        // First run: killed once a fifth has arrived. At 100 a second the whole send would take
        // twenty seconds, so the kill lands midway however busy the machine is (at 200 a second
        // a full suite once starved the test long enough for the send to finish first).
        let first = try await Self.serve(folder: folder, smtpPort: smtp.port, rate: 100)
        try await waitUntil("400 messages arrived", timeout: .seconds(120)) { arrived() >= 400 }
        first.kill()
        let atKill = arrived()
        // The sender claims rows ahead of sending them (up to `SendFeed.depth` a connection, plus
        // two under way on each: one whose content is out, one whose commands are), and writes
        // each 250 to the delivery journal before it writes anything more; only one message a
        // connection can have been taken by the server without a record of it.
        let issueId = issue.id
        let claimed = try await database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE issueId = ? AND status = 'sending'", arguments: [issueId]) ?? 0
        }
        let journal = (try? String(contentsOfFile: folder.appendingPathComponent("kobling.sqlite-deliveries").path, encoding: .utf8))?
            .split(separator: "\n").count ?? 0
        #expect(atKill < expected.count, "the send finished before the kill; nothing was tested")
        #expect(claimed <= Self.connections * (SendFeed.depth + 2))

        // Second run: picks up where the first stopped.
        let second = try await Self.serve(folder: folder, smtpPort: smtp.port)
        try await waitUntil("the issue is sent", timeout: .seconds(180)) {
            try await database.issue(id: issueId).status == .sent
        }
        second.stop()

        var received: [String: Int] = [:]
        for arrival in try smtp.arrivals() {
            for recipient in arrival.envelope.to { received[recipient, default: 0] += 1 }
        }
        #expect(Set(received.keys) == Set(expected), "who got the issue is exactly who was confirmed")
        let duplicates = received.values.reduce(0) { $0 + $1 - 1 }
        #expect(duplicates <= min(claimed, Self.connections), "\(duplicates) duplicates, \(claimed) claimed at the kill")
        for email in unsubscribed + suppressed + pending { #expect(received[email] == nil) }
        let delivery = try await database.issue(id: issue.id).delivery
        #expect(delivery.sent == expected.count && delivery.queued == 0 && delivery.sending == 0)
        print("crash test: \(atKill) arrived before the kill, \(claimed) claimed, \(journal) in the journal, \(duplicates) duplicates, \(received.count) recipients")
    }
}
