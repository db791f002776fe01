import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// A real `kobling serve` with the demo community under many concurrent clients, reads and writes
/// at once, more of them than the machine has cores and the database has connections, while a
/// watchdog asks `/health`. Nothing here measures speed: every request must be answered, and
/// the server must answer afterwards.
@Suite(.serialized) struct LoadTests {
    /// One kind of request the clients send, by name.
    struct Operation: Sendable {
        let name: String
        let send: @Sendable (TestClient, _ serial: Int) async throws -> TestClient.Response
    }

    /// What the clients and the watchdog saw.
    struct Tally: Sendable {
        var answered: [String: [Int: Int]] = [:]
        var unanswered: [String] = []
        var healthChecks = 0
        var worstHealth: Duration = .zero

        var count: Int { answered.values.reduce(0) { $0 + $1.values.reduce(0, +) } }

        func statuses(where predicate: (Int) -> Bool) -> [String] {
            answered.flatMap { name, statuses in statuses.filter { predicate($0.key) }.map { "\(name): \($0.value) × \($0.key)" } }.sorted()
        }
    }

    /// Runs `connections` clients for `duration`, each on a connection of its own and sending the
    /// operations in turn (starting at its own offset), each request given `timeout`; beside
    /// them a watchdog asks `/health` every 100 ms.
    static func run(
        _ operations: [Operation], on server: ServerProcess, connections: Int, duration: Duration, timeout: Duration
    ) async throws -> Tally {
        let shared = Shared()
        let end = ContinuousClock.now + duration
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<connections {
                group.addTask {
                    var client = server.client(timeout: timeout + .seconds(60))
                    var turn = index
                    while ContinuousClock.now < end {
                        let operation = operations[turn % operations.count]
                        turn += 1
                        do {
                            let serial = shared.serial.add(1, ordering: .relaxed).newValue
                            let response = try await ServerProcess.answer(on: client, within: timeout) { try await operation.send($0, serial) }
                            shared.tally.withLock { $0.answered[operation.name, default: [:]][Int(response.status.code), default: 0] += 1 }
                        } catch {
                            shared.tally.withLock { $0.unanswered.append("\(operation.name): \(error)") }
                            // The connection may be gone with the request: go on with a new one.
                            try? await client.shutdown()
                            client = server.client(timeout: timeout + .seconds(60))
                        }
                    }
                    try? await client.shutdown()
                }
            }
            group.addTask {
                while ContinuousClock.now < end {
                    let start = ContinuousClock.now
                    do {
                        let response = try await server.get("/health", timeout: timeout)
                        let took = ContinuousClock.now - start
                        shared.tally.withLock {
                            $0.healthChecks += 1
                            $0.worstHealth = max($0.worstHealth, took)
                            if response.status != .ok { $0.unanswered.append("/health: \(response.status.code)") }
                        }
                    } catch {
                        shared.tally.withLock { $0.unanswered.append("/health: \(error)") }
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        return shared.tally.withLock { $0 }
    }

    private final class Shared: Sendable {
        let tally = Mutex(Tally())
        let serial = Atomic<Int>(0)
    }

    static func get(_ name: String, _ uri: String, token: String? = nil) -> Operation {
        Operation(name: name) { client, _ in
            try await client.get(uri, headers: token.map { [.authorization: "Bearer \($0)"] } ?? [:])
        }
    }

    static func send(
        _ name: String, _ method: HTTPRequest.Method, _ uri: String, token: String?, contentType: String = "application/json",
        body: @escaping @Sendable (Int) -> String
    ) -> Operation {
        Operation(name: name) { client, serial in
            var headers: HTTPFields = [.contentType: contentType]
            if let token { headers[.authorization] = "Bearer \(token)" }
            return try await client.execute(.init(uri, method: method, headers: headers, body: ByteBuffer(string: body(serial))))
        }
    }

    /// The public reads, as an anonymous visitor makes them.
    static let publicReads: [Operation] = [
        get("directory", "/v1/people?limit=50"),
        get("directory search", "/v1/people?q=data"),
        get("person", "/v1/people/per_seed_mette"),
        get("organisations", "/v1/organisations?limit=50"),
        get("organisation", "/v1/organisations/org_seed_hub"),
        get("tags", "/v1/tags?limit=50"),
        get("tag", "/v1/tags/cardiology"),
        get("archive", "/v1/newsletter/archive"),
        get("archived issue", "/v1/newsletter/archive/iss_seed_2026_08"),
        get("archive page", "/archive"),
        get("spec", "/openapi.yaml"),
        get("ready", "/ready"),
        get("metrics", "/metrics"),
    ]

    /// Today's deadlock, made likely: one read connection and many more concurrent reads than
    /// cooperative threads. A synchronous read on a cooperative thread waited for the one
    /// connection while the task that held it waited for a cooperative thread; the server then
    /// stopped answering everything, `/health` included.
    @Test func concurrentReadsOnOneReadConnectionAreAllAnswered() async throws {
        let server = try await ServerProcess(environment: ["KOBLING_DB_READERS": "1"])
        _ = try server.seedDemo()
        let reads = Array(Self.publicReads.prefix(7))
        // A deadlocked server never answers; a busy machine (the whole suite runs at once) may take
        // a few seconds. Ten tells the two apart.
        let tally = try await Self.run(reads, on: server, connections: 16, duration: .seconds(3), timeout: .seconds(10))
        #expect(tally.unanswered.isEmpty, "unanswered within 10 s: \(tally.unanswered.prefix(10)) (of \(tally.unanswered.count))")
        #expect(tally.statuses { $0 != 200 } == [])
        #expect(tally.count > 0)
        // Afterwards it answers again: a deadlocked server never does, and a busy one (a full
        // suite on two cores once took over ten seconds here) within a minute.
        let after = try await server.get("/v1/people?limit=50", timeout: .seconds(60))
        #expect(after.status == .ok)
        print("one read connection, 16 clients: \(tally.count) answered, \(tally.healthChecks) health checks, worst \(tally.worstHealth)")
    }

    /// Every public read and a mix of writes (members editing their profiles, subscriptions, an
    /// organiser creating tags and people), 72 connections at once for six seconds.
    @Test func everyEndpointIsAnsweredUnderMixedLoad() async throws {
        let server = try await ServerProcess()
        let password = try server.seedDemo()
        let organiser = try await server.login("organiser@kobling.test", password: password)
        var members: [(token: String, personId: String)] = []
        for index in 0..<4 {
            let client = server.client(timeout: .seconds(30))
            let response = try await client.post(
                "/v1/auth/signup", headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email":"load\#(index)@example.dk","password":"correct horse battery \#(index)","name":"Læsø Bruger \#(index)"}"#))
            try? await client.shutdown()
            #expect(response.status == .created)
            let body = try #require(response.body)
            let session = try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
            let account = try #require(session["account"] as? [String: Any])
            members.append((try #require(session["token"] as? String), try #require(account["personId"] as? String)))
        }

        var operations = Self.publicReads
        for (index, member) in members.enumerated() {
            operations.append(Self.get("me", "/v1/me", token: member.token))
            operations.append(Self.send("profile edit", .patch, "/v1/people/\(member.personId)", token: member.token,
                                        contentType: "application/merge-patch+json") { serial in
                #"{"headline":"Overlæge, edit \#(serial) by \#(index)"}"#
            })
        }
        operations.append(Self.send("subscription", .post, "/v1/lists/list_seed_newsletter/subscriptions", token: nil) { serial in
            #"{"email":"reader\#(serial)@example.dk","name":"Åse \#(serial)","consent":true}"#
        })
        operations.append(Self.send("tag create", .post, "/v1/tags", token: organiser) { serial in
            #"{"id":"load-\#(serial)","kind":"skill","label":{"da":"Belastning \#(serial)","en":"Load \#(serial)"}}"#
        })
        operations.append(Self.send("person create", .post, "/v1/people", token: organiser) { serial in
            #"{"name":"Søren Load \#(serial)","headline":"Specialist"}"#
        })

        let tally = try await Self.run(operations, on: server, connections: 72, duration: .seconds(6), timeout: .seconds(10))
        #expect(tally.unanswered.isEmpty, "unanswered within 10 s: \(tally.unanswered.prefix(10)) (of \(tally.unanswered.count))")
        #expect(tally.statuses { $0 >= 500 } == [], "server errors")
        // Every operation was answered at least once, and as it should be.
        for operation in operations {
            #expect(tally.answered[operation.name] != nil, "\(operation.name) was never answered")
        }
        #expect(tally.statuses { $0 >= 400 && $0 != 429 } == [], "refused")
        // The watchdog was answered (a /health slower than 10 s is unanswered, above); how many
        // checks fit in six seconds is the machine's speed, not the server's: a full suite on CI
        // has allowed 9 and, with the outbox's fault tests beside it, 1.
        #expect(tally.healthChecks >= 1, "the watchdog was never answered (worst \(tally.worstHealth))")
        let after = try await server.get("/v1/people?limit=50", timeout: .seconds(60))
        #expect(after.status == .ok)
        let summary = tally.answered.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.sorted { $0.key < $1.key })" }
        print("mixed load, 72 clients for 6 s: \(tally.count) answered, /health worst \(tally.worstHealth) over \(tally.healthChecks); \(summary)")
    }
}
