import Foundation
import GRDB
@testable import KoblingAPI
import KoblingCore
import Mail
import Mailer
import Storage
import Testing

/// The outbox against an SMTP server that misbehaves as providers do (faulty_smtp.py on
/// loopback): every recipient is reached, none more often than the README says, and no row is
/// left "sending".
@Suite(.serialized) struct OutboxFaultTests {
    typealias Fault = SMTPTestServer.Fault

    /// Sends `count` messages through `server` until none is due, moving the test clock past each
    /// back-off; answers the app for further checks.
    static func sendAll(
        _ count: Int, through server: SMTPTestServer, options: String = "tls=none&connections=1&timeout=2",
        settings: OutboxWorker.Settings = .manual, rounds: Int = 12
    ) async throws -> TestApp {
        let app = try TestApp(mail: try server.transport(options), outbox: settings)
        try await app.database.enqueue((0..<count).map { try OutboxTests.message(to: "p\($0)@example.dk") })
        for _ in 0..<rounds {
            try await app.services.outbox.runOnce()
            let counts = try await app.database.outboxCounts()
            if counts[.queued] == nil && counts[.sending] == nil { break }
            app.time.advance(by: 3600)
        }
        return app
    }

    /// Every address reached, at least once, and what the outbox says of it.
    static func check(_ app: TestApp, _ server: SMTPTestServer, count: Int, duplicates: Int = 0,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let counts = try await app.database.outboxCounts()
        #expect(counts[.sent] == count, "\(counts)", sourceLocation: sourceLocation)
        #expect(counts[.sending] == nil, "no row is left sending", sourceLocation: sourceLocation)
        let arrived = try server.arrivals().flatMap(\.envelope.to)
        #expect(Set(arrived) == Set((0..<count).map { "p\($0)@example.dk" }), sourceLocation: sourceLocation)
        #expect(arrived.count - count <= duplicates, "\(arrived.count - count) arrived twice", sourceLocation: sourceLocation)
    }

    @Test(arguments: [Fault.Stage.mail, .rcpt, .data, .content])
    func a421ClosingTheConnectionHandsBackEveryRow(stage: Fault.Stage) async throws {
        let server = try SMTPTestServer(faults: [
            Fault(stage: stage, reply: "421 4.7.0 Try again later, closing connection", nth: 10),
        ])
        let app = try await Self.sendAll(50, through: server)
        try await Self.check(app, server, count: 50)
        #expect(server.faultsApplied().count == 1)
    }

    /// A newsletter issue to 50 confirmed subscribers, as an organiser sends it, through a server
    /// that answers the 10th DATA with 421 and closes: everyone gets it and the issue ends sent.
    @Test(arguments: [(1, true), (4, true), (1, false), (4, false)])
    func aNewsletterSendSurvivesA421(connections: Int, closes: Bool) async throws {
        let server = try SMTPTestServer(faults: [
            Fault(stage: .content, reply: "421 4.7.0 Try again later, closing connection", close: closes, nth: 10),
        ])
        let app = try TestApp(mail: try server.transport("tls=none&connections=\(connections)&timeout=2"))
        try await app.makeOrganiser()
        let issue = try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await NewsletterTests.list(client, as: organiser, subscribers: (0..<50).map { ("p\($0)@example.dk", nil) })
            let issue = try await NewsletterTests.issue(client, list: list, as: organiser)
            try await client.request(.post, "/v1/newsletter/issues/\(issue)/send", as: organiser)
            return issue
        }
        for _ in 0..<6 {
            try await app.services.outbox.runOnce()
            if try await app.database.issue(id: issue).status == .sent { break }
            app.time.advance(by: 3600)
        }
        let delivery = try await app.database.issue(id: issue).delivery
        #expect(delivery.sent == 50 && delivery.sending == 0 && delivery.queued == 0, "\(delivery)")
        #expect(try await app.database.issue(id: issue).status == .sent)
        #expect(Set(try server.arrivals().flatMap(\.envelope.to)).count == 50)
    }

    /// A row claimed by a worker that then stops answering for it goes back to the queue once its
    /// claim lapses, while the server runs; a holder that renews keeps its rows.
    @Test func aClaimThatLapsesGoesBackToTheQueueWhileTheServerRuns() async throws {
        let app = try TestApp()
        try await app.database.enqueue(["a@example.dk", "b@example.dk"].map(OutboxTests.message))
        let terms = LeaseTerms(duration: 60)
        let gone = LeaseHolder(id: "gone")
        let alive = LeaseHolder(id: "alive")
        let lost = try #require(try await app.database.claimNextMail(holder: gone, terms: terms))
        let kept = try #require(try await app.database.claimNextMail(holder: alive, terms: terms))
        let listed = try await app.database.outbox(status: .sending, page: .init()).items
        #expect(Set(listed.map(\.claimedBy)) == ["gone", "alive"])
        #expect(listed.allSatisfy { $0.leaseUntil == Timestamp.string(app.services.clock.now() + 60) })

        app.time.advance(by: 50)
        _ = try await blocking { try app.database.settleAndClaim([], holder: alive, terms: terms, renew: true) }
        app.time.advance(by: 20)
        // Seventy seconds on: the holder that renewed keeps its row, the other's is queued again.
        #expect(try await app.database.reclaimLapsedMail() == 1)
        let queued = try await app.database.outbox(status: .queued, page: .init()).items
        #expect(queued.map(\.id) == [lost.entry.id])
        #expect(queued.first?.claimedBy == nil && queued.first?.leaseUntil == nil)
        #expect(queued.first?.lastError?.contains("claim lapsed") == true)
        #expect(try await app.database.outbox(status: .sending, page: .init()).items.map(\.id) == [kept.entry.id])

        // The worker's next look sends it: no restart needed.
        #expect(try await app.services.outbox.runOnce() == 1)
        let sent = try await app.database.outbox(status: .sent, page: .init()).items
        #expect(sent.map(\.id) == [lost.entry.id])
        #expect(sent.first?.claimedBy == nil && sent.first?.leaseUntil == nil)
    }
}
