import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import KoblingCore
import Storage
import Testing

/// When the database cannot keep up, requests wait in a bounded queue for a while and are then
/// answered 503 with Retry-After; reads go on beside a blocked writer, and `/metrics` shows it.
@Suite struct BackPressureTests {
    @Test func writesBehindALockedDatabaseAre503AfterTheDeadlineAndReadsGoOn() async throws {
        let app = try TestApp { $0.access = AppDatabase.Access(readers: 2, queueLimit: 10, maxWait: .milliseconds(300)) }
        try await app.test { client in
            let member = try await client.signup("maren@example.dk", name: "Maren Østergaard")
            // Another process holds SQLite's write lock (a backup tool, a second instance).
            let other = try await Self.holdWriteLock(of: app)

            let patch = #"{"headline":"Sygeplejerske"}"#
            // The first write takes the write thread and waits for the lock.
            async let first = client.request(.patch, "/v1/people/\(member.personId)", json: patch, as: member)
            try await waitUntil { app.database.load.writes.busy == 1 }
            // The next waits behind it past the deadline, and is told to come back.
            let second = try await client.request(.patch, "/v1/people/\(member.personId)", json: patch, as: member)
            #expect(second.status == .serviceUnavailable)
            #expect(second.headers[.retryAfter] == "1")
            #expect(try second.problem()["type"] as? String == "urn:kobling:problem:busy")
            // Reads do not wait for the writer.
            let read = try await client.request(.get, "/v1/people/\(member.personId)")
            #expect(read.status == .ok)
            let metrics = try await client.request(.get, "/metrics").text
            #expect(metrics.contains(#"kobling_database_connections_in_use{lane="write"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"kobling_database_connections{lane="read"} 2"#))
            #expect(metrics.contains(#"kobling_database_requests_refused_total{lane="write",reason="waited_too_long"} 1"#))

            try await other.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            // The write that had started finishes once the lock is free; nothing was lost.
            #expect(try await first.status == .ok)
            let after = try await client.request(.get, "/v1/people/\(member.personId)").json()
            #expect(after["headline"] as? String == "Sygeplejerske")
            let settled = try await client.request(.get, "/metrics").text
            #expect(settled.contains(#"kobling_database_connections_in_use{lane="write"} 0"#))
            #expect(settled.contains(#"kobling_database_requests_waiting{lane="write"} 0"#))
        }
    }

    @Test func pastTheQueuesBoundRequestsAre503AtOnce() async throws {
        let app = try TestApp { $0.access = AppDatabase.Access(readers: 1, queueLimit: 0, maxWait: .seconds(60)) }
        try await app.test { client in
            let member = try await client.signup("jens@example.dk", name: "Jens Ærø")
            let other = try await Self.holdWriteLock(of: app)
            async let first = client.request(.patch, "/v1/people/\(member.personId)", json: #"{"headline":"A"}"#, as: member)
            try await waitUntil { app.database.load.writes.busy == 1 }
            // No caller may wait: the next write is refused without waiting for the deadline.
            let second = try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"headline":"B"}"#, as: member)
            #expect(second.status == .serviceUnavailable)
            #expect(app.database.load.writes.refusedFull == 1)
            try await other.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            #expect(try await first.status == .ok)
        }
    }

    /// A second connection to the app's database that takes SQLite's write lock and keeps it
    /// until it runs COMMIT.
    static func holdWriteLock(of app: TestApp) async throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: app.services.configuration.resolvedDatabasePath, configuration: configuration)
        try await other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        return other
    }
}
