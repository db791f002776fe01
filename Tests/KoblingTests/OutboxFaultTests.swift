import Foundation
import GRDB
@testable import Background
@testable import KoblingAPI
import KoblingCore
import Mail
import Mailer
@testable import Storage
import Testing

/// The outbox against an SMTP server that misbehaves as providers do (faulty_smtp.py on
/// loopback): every recipient is reached, none more often than the README says, and no row is
/// left "sending".
@Suite(.serialized) struct OutboxFaultTests {
    typealias Fault = SMTPTestServer.Fault

    /// Sends a newsletter issue to `count` confirmed subscribers through `server`, as an organiser
    /// does, until nothing is due, moving the test clock past each back-off; answers the app for
    /// further checks.
    static func sendAll(
        _ count: Int, through server: SMTPTestServer, options: String = "tls=none&connections=1&timeout=2",
        settings: OutboxWorker.Settings = .fast, rounds: Int = 12
    ) async throws -> TestApp {
        let app = try TestApp(mail: try server.transport(options), outbox: settings)
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await NewsletterTests.list(client, as: organiser, subscribers: (0..<count).map { ("p\($0)@example.dk", nil) })
            let issue = try await NewsletterTests.issue(client, list: list, as: organiser)
            #expect(try await client.request(.post, "/v1/newsletter/issues/\(issue)/send", as: organiser).status == .ok)
        }
        for round in 0..<rounds {
            try await app.services.outbox.runOnce()
            if round == 0 {
                // A row that failed waits as the back-off says: 30 s after its first attempt.
                let now = app.services.clock.now()
                for row in try await app.database.outbox(status: .queued, page: .init(limit: 200)).items where row.attempts == 1 {
                    #expect(row.notBefore == Timestamp.string(now + settings.firstRetry), "\(row.recipient): \(row.lastError ?? "")")
                }
            }
            let counts = try await app.database.outboxCounts()
            if counts[.queued] == nil && counts[.sending] == nil { break }
            app.time.advance(by: 3600)
        }
        return app
    }

    /// Every address reached, at least once, and what the outbox says of it.
    static func check(_ app: TestApp, _ server: SMTPTestServer, count: Int, duplicates: Int = 0, newsletter: Bool = true,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let counts = try await app.database.outboxCounts()
        #expect(counts[.sent] == count, "\(counts)", sourceLocation: sourceLocation)
        #expect(counts[.sending] == nil, "no row is left sending", sourceLocation: sourceLocation)
        let arrived = try server.arrivals().flatMap(\.envelope.to)
        #expect(Set(arrived) == Set((0..<count).map { "p\($0)@example.dk" }), sourceLocation: sourceLocation)
        #expect(arrived.count - count <= duplicates, "\(arrived.count - count) arrived twice", sourceLocation: sourceLocation)
        let issues = try await app.database.writer.read { db in try String.fetchAll(db, sql: "SELECT status FROM newsletterIssue") }
        #expect(issues == (newsletter ? ["sent"] : []), "the issue ends sent", sourceLocation: sourceLocation)
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
        let app = try TestApp(mail: try server.transport("tls=none&connections=\(connections)&timeout=2"), outbox: .fast)
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
        #expect(server.faultsApplied().map(\.action) == ["reply"], "the 421 was answered")
    }

    /// A worker waiting on a slow server writes no batch for a while: its ledger renews the
    /// claims on its own, so that they do not lapse under it.
    @Test func theLedgerRenewsClaimsWhenNoBatchComes() async throws {
        let app = try TestApp()
        try await app.database.enqueue([try OutboxTests.message(to: "slow@example.dk")])
        let holder = LeaseHolder(id: "slow")
        let terms = LeaseTerms(duration: 60, renewal: 0.1)
        let claimed = try #require(try await app.database.claimNextMail(holder: holder, terms: terms))
        let ledger = OutboxLedger(terms: terms, now: app.services.clock.now) { requests, renew in
            try app.database.settleAndClaim(requests, holder: holder, terms: terms, renew: renew)
        }
        let thread = Thread { ledger.run() }
        thread.start()
        defer { ledger.close() }
        // Fifty seconds pass without a batch.
        app.time.advance(by: 50)
        let renewedUntil = Timestamp.string(app.services.clock.now() + 60)
        try await waitUntil("the claim is renewed", timeout: .seconds(10)) {
            try await app.database.outbox(status: .sending, page: .init()).items.first?.leaseUntil == renewedUntil
        }
        app.time.advance(by: 30)
        #expect(try await app.database.reclaimLapsedMail() == 0, "renewed, the claim holds past its first expiry")
        #expect(try await app.database.outbox(status: .sending, page: .init()).items.map(\.id) == [claimed.entry.id])
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

    /// A burst of 451s backs off the whole stream, not only each recipient: nothing is claimed
    /// during the pause, sending goes on by itself after it, and no organiser is needed.
    @Test func aBurstOfTransientFailuresBacksOffTheStreamAndRecoversByItself() async throws {
        let server = try SMTPTestServer(faults: [
            Fault(stage: .mail, reply: "451 4.7.1 Too many messages, slow down", times: 6),
        ])
        var settings = OutboxWorker.Settings.manual
        settings.circuit = SendCircuit.Settings(threshold: 5, firstPause: 10, lastPause: 60)
        settings.firstRetry = 300
        let app = try TestApp(mail: try server.transport("tls=none&connections=1&timeout=2"), outbox: settings)
        try await app.makeOrganiser()
        try await app.database.enqueue((0..<20).map { try OutboxTests.message(to: "p\($0)@example.dk") })
        let worker = app.services.outbox
        #expect(try await worker.runOnce() == 5)
        let backingOff = try #require(worker.backingOff)
        #expect(backingOff.until == app.services.clock.now() + 10)
        #expect(backingOff.reason.contains("451"))
        #expect(worker.pausedReason == nil, "a provider's load is not an organiser's problem")
        try await app.test { client in
            let listing = try await client.request(.get, "/v1/outbox", as: try await client.organiser()).json()
            #expect((listing["backingOff"] as? [String: Any])?["until"] as? String == Timestamp.string(backingOff.until))
            #expect(listing["paused"] is NSNull)
        }
        // During the pause nothing is claimed, though fifteen rows are due.
        #expect(try await worker.runOnce() == 0)
        #expect(try await app.database.outboxCounts()[.sending] == nil)

        // After it, the first failure opens the circuit again at once, for twice as long.
        app.time.advance(by: 10)
        #expect(try await worker.runOnce() == 1)
        #expect(worker.backingOff?.until == app.services.clock.now() + 20)
        app.time.advance(by: 20)
        #expect(try await worker.runOnce() == 14)
        #expect(worker.backingOff == nil)
        app.time.advance(by: 3600)
        #expect(try await worker.runOnce() == 6)
        try await Self.check(app, server, count: 20, newsletter: false)
    }

    /// One misbehaviour of a provider, and how often a message may arrive twice through it.
    struct Misbehaviour: CustomTestStringConvertible, Sendable {
        var name: String
        var faults: [Fault]
        var closeEvery: Int?
        var tls = false
        var connections = 2
        var duplicates = 0
        var testDescription: String { name }
    }

    static let misbehaviours: [Misbehaviour] = [
        .init(name: "421 at the greeting", faults: [Fault(stage: .greeting, reply: "421 4.3.2 Service not available", connection: 1)]),
        .init(name: "451 at RCPT", faults: [Fault(stage: .rcpt, reply: "451 4.3.0 Try again later", every: 7)]),
        .init(name: "452 at RCPT", faults: [Fault(stage: .rcpt, reply: "452 4.5.3 Too many recipients", nth: 4)]),
        .init(name: "4xx three times for one recipient, then accepted",
              faults: [Fault(stage: .rcpt, reply: "450 4.2.0 Mailbox busy", recipient: "p3@example.dk", times: 3)]),
        .init(name: "a reset in the middle of DATA", faults: [Fault(stage: .content, action: .reset, nth: 5)]),
        .init(name: "no answer past the timeout", faults: [Fault(stage: .content, action: .hang, nth: 6)]),
        .init(name: "accepted after the client gave up", faults: [Fault(stage: .content, action: .late, nth: 7, delay: 3)], duplicates: 1),
        .init(name: "the TLS handshake failing on one connection of four",
              faults: [Fault(stage: .starttls, action: .tlsFail, connection: 2)], tls: true, connections: 4),
        .init(name: "every connection closed after 7 messages", faults: [], closeEvery: 7),
        .init(name: "a slow greeting", faults: [Fault(stage: .greeting, action: .delay, delay: 1)]),
    ]

    @Test(arguments: misbehaviours)
    func everyRecipientIsReachedThrough(_ provider: Misbehaviour) async throws {
        let certificate = provider.tls ? try TestCertificate() : nil
        let server = try SMTPTestServer(faults: provider.faults, closeEvery: provider.closeEvery, certificate: certificate)
        let tls = certificate.map { "tls=required&ca=\($0.certificate.path)" } ?? "tls=none"
        let app = try await Self.sendAll(30, through: server, options: "\(tls)&connections=\(provider.connections)&timeout=2")
        try await Self.check(app, server, count: 30, duplicates: provider.duplicates)
        #expect(!server.faultsApplied().isEmpty, "the fault happened")
        #expect(app.services.outbox.pausedReason == nil)
    }
}

extension OutboxFaultTests {
    /// 2,000 messages through a provider that does all of the above at random, from a fixed seed.
    @Test func aLargeSendThroughAProviderThatMisbehavesAtRandomReachesEveryone() async throws {
        let certificate = try TestCertificate()
        let faults = [
            Fault(stage: .greeting, reply: "421 4.3.2 Service not available", probability: 0.05),
            Fault(stage: .starttls, action: .tlsFail, probability: 0.05),
            Fault(stage: .mail, reply: "421 4.7.0 Try again later, closing connection", probability: 0.003),
            Fault(stage: .rcpt, reply: "451 4.3.0 Try again later", probability: 0.01),
            Fault(stage: .rcpt, reply: "452 4.5.3 Insufficient system storage", probability: 0.003),
            Fault(stage: .data, reply: "421 4.7.0 Try again later, closing connection", probability: 0.002),
            Fault(stage: .content, action: .reset, probability: 0.002),
            Fault(stage: .content, action: .hang, probability: 0.001),
            Fault(stage: .content, action: .late, probability: 0.002, delay: 3),
            Fault(stage: .content, reply: "451 4.3.0 Queue full", probability: 0.005),
        ]
        let server = try SMTPTestServer(faults: faults, closeEvery: 97, seed: 20261201, certificate: certificate)
        var settings = OutboxWorker.Settings.fast
        settings.maxAttempts = 20
        let clock = ContinuousClock()
        let started = clock.now
        let app = try await Self.sendAll(
            2000, through: server, options: "tls=required&ca=\(certificate.certificate.path)&connections=4&timeout=2",
            settings: settings, rounds: 40)
        let elapsed = clock.now - started
        let applied = server.faultsApplied()
        let late = applied.filter { $0.action == "late" }.count
        try await Self.check(app, server, count: 2000, duplicates: late)
        let attempts = try await app.database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT SUM(attempts) FROM outbox") ?? 0
        }
        let arrived = try server.arrivals().count
        let kinds = Dictionary(grouping: applied) { "\($0.stage) \($0.action)" }.mapValues(\.count)
            .sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print("random provider: 2000 messages in \(elapsed), \(applied.count) faults applied (\(kinds)), "
            + "\(attempts - 2000) retries, \(arrived - 2000) duplicates (bound: \(late) accepted after the client gave up)")
        #expect(applied.count > 20, "the provider misbehaved")
        #expect(app.services.outbox.pausedReason == nil)
    }
}

extension OutboxWorker.Settings {
    /// Driven by the test, and fast enough that every connection gets work.
    static var fast: Self {
        var settings = Self.manual
        settings.rate = 1000
        return settings
    }
}
