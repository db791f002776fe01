import Foundation
import GRDB
@testable import KoblingAPI
import KoblingCore
@testable import Storage
import HummingbirdTesting
import Testing

/// A filesystem of a few megabytes of its own (tmpfs), mounted for one test and unmounted after:
/// mounting needs root, as CI runs the tests.
final class SmallDisk: Sendable {
    let path: URL
    private var filler: URL { path.appendingPathComponent("filler") }

    static var canMount: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount") }

    init(megabytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-disk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path.path])
    }

    deinit {
        try? Self.run("/bin/umount", ["-l", path.path])
        try? FileManager.default.removeItem(at: path)
    }

    /// Takes every free byte, as another program filling the disk would.
    func fill() throws {
        guard let handle = FileHandle(forWritingAtPath: filler.path) ?? {
            FileManager.default.createFile(atPath: filler.path, contents: nil)
            return FileHandle(forWritingAtPath: filler.path)
        }() else { throw TestServerError("cannot create \(filler.path)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        let block = Data(count: 64 * 1024)
        var size = 64 * 1024
        while size > 0 {
            do {
                try handle.write(contentsOf: block.prefix(size))
            } catch {
                size /= 2
            }
        }
    }

    /// Gives the space back.
    func free() throws {
        try FileManager.default.removeItem(at: filler)
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        guard try ChildProcess.run(URL(fileURLWithPath: tool), arguments).status == 0 else { throw TestServerError("\(tool) \(arguments.joined(separator: " ")) failed") }
    }
}

@Suite(.serialized) struct StorageFaultTests {
    /// The database's disk fills while the server runs: writes answer 503 with Retry-After and a
    /// problem that names storage, reads go on, a send under way stops and finishes once space
    /// returns, nothing acknowledged is lost, and the database stays sound.
    @Test(.enabled(if: SmallDisk.canMount, "mounting a small filesystem needs root"))
    func aFullDiskAnswers503AndLosesNothing() async throws {
        let disk = try SmallDisk(megabytes: 6)
        let server = try SMTPTestServer()
        let app = try TestApp(mail: try server.transport("tls=none&connections=2"), outbox: .fast) {
            $0.dataDirectory = disk.path.appendingPathComponent("data").path
        }
        try await app.makeOrganiser()
        try await app.database.enqueue((0..<40).map { try OutboxTests.message(to: "p\($0)@example.dk") })
        try await app.test { client in
            let organiser = try await client.organiser()
            func create(_ index: Int) async throws -> TestResponse {
                try await client.request(.post, "/v1/organisations", json: #"{"kind":"startup","name":"Firma \#(index)","description":"\#(String(repeating: "x", count: 2000))"}"#, as: organiser)
            }
            var acknowledged: [String] = []
            for index in 0..<5 {
                let created = try await create(index)
                #expect(created.status == .created)
                acknowledged.append(try #require(try created.json()["id"] as? String))
            }

            try disk.fill()
            // Writes go on while the database's own files have room; then each is refused.
            var refused: TestResponse?
            for index in 5..<400 {
                let answer = try await create(index)
                if answer.status == .created {
                    acknowledged.append(try #require(try answer.json()["id"] as? String))
                    continue
                }
                #expect(answer.status == .serviceUnavailable, "\(answer.status): \(answer.text)")
                refused = answer
                break
            }
            let problem = try #require(try refused?.problem())
            #expect(problem["type"] as? String == "urn:kobling:problem:storage-full")
            #expect(refused?.headers[.retryAfter] == "30")
            #expect(try await create(999).status == .serviceUnavailable, "a write still refused while the disk is full")
            // Reads go on.
            #expect(try await client.request(.get, "/v1/organisations?limit=1").status == .ok)
            let metrics = try await client.request(.get, "/metrics").text
            #expect(metrics.contains(#"kobling_storage_faults_total{fault="storage-full"}"#))
            #expect(!metrics.contains(#"kobling_storage_faults_total{fault="storage-full"} 0"#))

            // A send under way stops: it cannot record what it sends.
            await #expect(throws: KoblingError.self) { try await app.services.outbox.runOnce() }

            try disk.free()
            #expect(try await create(1000).status == .created, "writes come back with the space")
            for id in acknowledged {
                #expect(try await client.request(.get, "/v1/organisations/\(id)").status == .ok, "acknowledged \(id) is kept")
            }
        }
        for _ in 0..<6 {
            try await app.services.outbox.runOnce()
            if try await app.database.outboxCounts()[.queued] == nil { break }
            app.time.advance(by: 3600)
        }
        let counts = try await app.database.outboxCounts()
        #expect(counts[.sent] == 40 && counts[.sending] == nil, "\(counts)")
        let arrived = try server.arrivals().flatMap(\.envelope.to)
        #expect(Set(arrived).count == 40)
        #expect(arrived.count - 40 <= 2, "at most one message a connection twice")
        let check = try await app.database.writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(check == ["ok"])
    }

    /// What each SQLite or file error means for a client: storage faults are told apart from the
    /// statement's own errors, which stay internal.
    @Test func storageFaultsAreToldApartFromOtherErrors() {
        #expect(StorageFault(of: DatabaseError(resultCode: .SQLITE_FULL)) == .full)
        #expect(StorageFault(of: DatabaseError(resultCode: .SQLITE_READONLY)) == .readOnly)
        #expect(StorageFault(of: DatabaseError(resultCode: .SQLITE_READONLY_DBMOVED)) == .readOnly)
        #expect(StorageFault(of: DatabaseError(resultCode: .SQLITE_IOERR_WRITE)) == .failing)
        #expect(StorageFault(of: DeliveryJournal.Failure(description: "short", code: ENOSPC)) == .full)
        #expect(StorageFault(of: DeliveryJournal.Failure(description: "ro", code: EROFS)) == .readOnly)
        #expect(StorageFault(of: DatabaseError(resultCode: .SQLITE_CONSTRAINT)) == nil)
        #expect(StorageFault(of: DatabaseError(resultCode: .SQLITE_ERROR)) == nil)
        #expect(StorageFault(of: KoblingError.busy(retryAfterSeconds: 1, "busy")) == nil)
    }
}
