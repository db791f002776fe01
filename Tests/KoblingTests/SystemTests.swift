import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import KoblingCore
@testable import Storage
import Testing

@Suite struct SystemTests {
    static let seedFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("seed")

    @Test func healthReadinessAndMetrics() async throws {
        try await TestApp().test { client in
            #expect(try await client.request(.get, "/health").json()["status"] as? String == "ok")
            #expect(try await client.request(.get, "/ready").json()["status"] as? String == "ready")
            try await client.request(.get, "/v1/tags")
            try await client.request(.get, "/v1/tags/none")
            let metrics = try await client.request(.get, "/metrics")
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains(#"http_requests_total{method="GET",route="/v1/tags",status="200"} 1"#), "\(metrics.text)")
            #expect(metrics.text.contains(#"http_requests_total{method="GET",route="/v1/tags/{id}",status="404"} 1"#))
            #expect(metrics.text.contains("http_request_duration_seconds_bucket"))
            let response = try await client.request(.get, "/health")
            #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
        }
    }

    @Test func theSeedLoadsACommunityAndLoadingItAgainChangesNothing() async throws {
        let app = try TestApp()
        let data = try loadSeed()
        #expect(data.tags.count >= 100)
        #expect(data.people.count >= 35)
        #expect(data.organisations.filter { $0.kind == .startup }.count >= 8)
        let first = try await app.database.seed(data, renderArchive: app.renderArchive)
        #expect(first.tags == data.tags.count && first.people == data.people.count)
        let second = try await app.database.seed(data, renderArchive: app.renderArchive)
        #expect(second == SeedReport())

        try await app.test { client in
            let eye = try await client.request(.get, "/v1/organisations?q=eye-tracking").items()
            #expect(eye.contains { $0["name"] as? String == "GazeLab ApS" })
            let researchers = try await client.request(.get, "/v1/people?role=researcher&limit=200").items()
            #expect(researchers.count >= 5)

            // The newsletter's three past issues, monthly from August, are in the archive.
            let archive = try await client.request(.get, "/v1/newsletter/archive").items()
            #expect(archive.map { String(($0["sentAt"] as? String ?? "").prefix(7)) } == ["2026-10", "2026-09", "2026-08"])
            for issue in archive {
                let page = try await client.request(.get, "/archive/\(issue["id"] as? String ?? "")")
                #expect(page.status == .ok && page.text.contains("Hej alle,"), "\(issue["id"] ?? "")")
            }
            #expect(try await client.request(.get, "/v1/lists").items().count == 2)

            // Pitches, several in Danish, one about eye tracking; anyone sees the public approved ones.
            #expect(first.pitches == data.pitches.count && data.pitches.count >= 15)
            let open = try await client.request(.get, "/v1/pitches?limit=200").items()
            #expect(open.allSatisfy { $0["status"] as? String == "approved" && $0["visibility"] as? String == "public" })
            #expect(open.filter { $0["language"] as? String == "da" }.count >= 5)
            #expect(try await client.request(.get, "/v1/pitches?q=%C3%B8jenstyring").items().map { $0["id"] as? String } == ["pit_seed_gaze_als"])
            #expect(try await client.request(.get, "/v1/pitches?tag=eye-tracking-data&role=researcher").items().count == 1)
        }
        #expect(first.lists == 2 && first.issues == 3 && first.subscribers >= 6)
    }

    @Test func aBackupIsAConsistentCopy() async throws {
        let app = try TestApp()
        _ = try await app.database.seed(try loadSeed(), renderArchive: app.renderArchive)
        let copyPath = app.folder.appendingPathComponent("backup.sqlite").path
        try await app.database.backup(to: copyPath)
        let copy = try AppDatabase.open(path: copyPath)
        let original = try await app.database.people(PeopleFilter(), viewer: .organiser, page: PageRequest(limit: 200))
        let copied = try await copy.people(PeopleFilter(), viewer: .organiser, page: PageRequest(limit: 200))
        #expect(copied.count == 39)
        #expect(copied == original)
        await #expect(throws: KoblingError.self) { try await app.database.backup(to: copyPath) }
    }

    /// Mail the server took whose rows still said "sending" when the copy was made is not sent
    /// again from a restored copy: the delivery journal goes with it.
    @Test func aBackupKeepsTheDeliveryJournal() async throws {
        let app = try TestApp()
        try await app.database.enqueue(["a@example.dk", "b@example.dk"].map(OutboxTests.message))
        let taken = try #require(try await app.database.claimNextMail())
        let underWay = try #require(try await app.database.claimNextMail())
        try await blocking { try app.database.recordTaken(id: taken.entry.id, messageId: "a1@kobling.test", reply: "250 2.0.0 Ok") }
        let copyPath = app.folder.appendingPathComponent("backup.sqlite").path
        try await app.database.backup(to: copyPath)
        let restored = try AppDatabase.open(path: copyPath)
        #expect(try await restored.requeueInterruptedMail() == 1)
        #expect(try await restored.outbox(status: .sent, page: .init()).items.map(\.id) == [taken.entry.id])
        #expect(try await restored.outbox(status: .queued, page: .init()).items.map(\.id) == [underWay.entry.id])
    }

    /// A large commit (a national round's report) does not copy the log into the database
    /// itself: the checkpoint runs aside, and the next write starts the log over, so that the
    /// log holds about one large write, not all of them.
    @Test func theLogIsCheckpointedAsideAndStartsOver() async throws {
        let app = try TestApp()
        let database = app.database
        let path = app.services.configuration.resolvedDatabasePath
        let walSize = { () throws -> Int in
            (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        }
        // Each write holds 6 MB, about 1,500 pages: past the 1,000 that queue a checkpoint.
        let text = String(repeating: "kobling ", count: 6 << 17)
        try await database.write { db in try db.execute(sql: "CREATE TABLE bulk (body TEXT NOT NULL)") }
        // SQLite's own checkpoint in the commit is off on the writer (its hook is this one's).
        #expect(try await database.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 0)
        var sizes: [Int] = []
        for _ in 0..<4 {
            try await database.write { db in try db.execute(sql: "INSERT INTO bulk (body) VALUES (?)", arguments: [text]) }
            try await blocking { database.checkpointer.waitForQueued() }
            sizes.append(try walSize())
        }
        #expect(sizes.allSatisfy { $0 >= 6 << 20 }, "each log holds its write: \(sizes)")
        #expect(sizes.allSatisfy { $0 < 12 << 20 }, "four writes of 6 MB and the log holds one: \(sizes)")
        let counted = try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM bulk WHERE length(body) = ?", arguments: [text.utf8.count]) }
        #expect(counted == 4)
        let check = try await database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(check == ["ok"])
    }

    /// A log past the limit is copied into the database in the commit itself, as SQLite
    /// would: a command that exits right after one large commit (loading a seed) leaves no long
    /// log for the next process to read through.
    @Test func aLogPastTheLimitIsCheckpointedInTheCommit() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("kobling.sqlite").path
        let checkpointer = Checkpointer(path: path, threshold: 100, limit: 400)
        var configuration = Configuration()
        configuration.prepareDatabase { db in checkpointer.watch(db) }
        let pool = try DatabasePool(path: path, configuration: configuration)
        defer { try? pool.close() }
        let size = { () throws -> Int in (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        try pool.write { db in try db.execute(sql: "CREATE TABLE bulk (body TEXT NOT NULL)") }
        // About 500 pages, past the limit of 400: in the database when the commit returns.
        try pool.write { db in try db.execute(sql: "INSERT INTO bulk (body) VALUES (?)", arguments: [String(repeating: "x", count: 2 << 20)]) }
        #expect(try size() > 2 << 20)
        try pool.close()
        #expect(try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "SELECT length(body) FROM bulk") } == 2 << 20)
    }

    @Test func migrationsAreAppliedOnOpenAndReopeningKeepsData() async throws {
        let app = try TestApp()
        #expect(try await app.database.appliedMigrations() == AppDatabase.migrator.migrations.sorted())
        #expect(AppDatabase.migrator.migrations.count >= 4)
        try await app.test { client in _ = try await client.signup("keep@example.dk") }
        let reopened = try AppDatabase.open(path: app.services.configuration.resolvedDatabasePath)
        #expect(try await reopened.credentials(email: EmailAddress("keep@example.dk")!) != nil)
        #expect(await reopened.isReady())
    }

    /// Tags and organisations made before they kept their documents get them when the database
    /// opens, as the API then answers them; the people's search index keeps what it held.
    @Test func theDocumentsMigrationRendersWhatWasThereBefore() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("old.sqlite").path)
        try AppDatabase.migrator.migrate(queue, upTo: "v7 verified addresses and preferred languages")
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO tag (id, kind, labelDa, labelEn, synonyms, sortKey) VALUES ('retinal-imaging', 'data_modality', 'Nethindebilleder', 'Retinal imaging', '["fundus"]', 'retinal imaging');
                INSERT INTO organisation (id, kind, name, sortKey, description, website, region, createdAt, updatedAt, version)
                  VALUES ('org_eye', 'startup', 'Øjeblik AI', 'øjeblik ai', 'Screening', NULL, 'Hovedstaden', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 3);
                INSERT INTO organisationTag (organisationId, tagId, position) VALUES ('org_eye', 'retinal-imaging', 0);
                INSERT INTO person (id, name, sortKey, createdAt, updatedAt, version, documentFull, documentPublic)
                  VALUES ('per_old', 'Hanne Sørensen', 'hanne sørensen', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, '{}', '{}');
                INSERT INTO personSearch (personId, publicText, allText) VALUES ('per_old', 'Hanne Sørensen', 'Hanne Sørensen Øjensygdomme');
                INSERT INTO tagSearch (tagId, text) VALUES ('retinal-imaging', 'Nethindebilleder Retinal imaging fundus');
                INSERT INTO organisationSearch (organisationId, text) VALUES ('org_eye', 'Øjeblik AI Screening Hovedstaden');
                """)
        }
        // The migration adds the columns; opening the database renders what is missing.
        let opened = try AppDatabase.open(path: folder.appendingPathComponent("old.sqlite").path)
        let (tag, organisation) = try await queue.read { db in
            (try String.fetchOne(db, sql: "SELECT document FROM tag"), try String.fetchOne(db, sql: "SELECT document FROM organisation"))
        }
        #expect(tag == JSONDocument.render(Tag(id: "retinal-imaging", kind: .dataModality, label: .init(da: "Nethindebilleder", en: "Retinal imaging"), synonyms: ["fundus"])))
        #expect(organisation == JSONDocument.render(Organisation(
            id: "org_eye", kind: .startup, name: "Øjeblik AI", description: "Screening", region: "Hovedstaden", tags: ["retinal-imaging"],
            createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-02T00:00:00Z", version: 3)))
        #expect(organisation?.contains(#""tags":["retinal-imaging"]"#) == true)
        // The search index moved to the person's key with what it held.
        let found = try await queue.read { db in
            try String.fetchAll(db, sql: """
                SELECT p.id FROM person p WHERE p.searchKey IN (SELECT rowid FROM personSearch WHERE personSearch MATCH '{allText} : "øjen"*')
                """)
        }
        #expect(found == ["per_old"])
        // Every search index moved to its owner's key with what it held, and finds it as the API
        // searches, by prefix.
        #expect(try await opened.people(PeopleFilter(text: "øjens"), viewer: .organiser, page: PageRequest(limit: 10)).count == 1)
        #expect(try await opened.people(PeopleFilter(text: "øjens"), viewer: .anonymous, page: PageRequest(limit: 10)).count == 0)
        #expect(try await opened.tags(kind: nil, text: "fund", page: PageRequest(limit: 10)).count == 1)
        #expect(try await opened.organisations(OrganisationFilter(text: "screen"), page: PageRequest(limit: 10)).count == 1)
        #expect(try await opened.organisations(OrganisationFilter(text: "screenings"), page: PageRequest(limit: 10)).count == 0)
    }

    func loadSeed() throws -> SeedData {
        func read<T: Decodable>(_ name: String) throws -> T {
            try JSONDecoder().decode(T.self, from: Data(contentsOf: Self.seedFolder.appendingPathComponent(name)))
        }
        return SeedData(
            tags: try read("tags.json"), organisations: try read("organisations.json"), people: try read("people.json"),
            newsletter: try read("newsletter.json"), pitches: try read("pitches.json"))
    }
}
