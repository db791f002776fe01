import Foundation
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
        let first = try await app.database.seed(data)
        #expect(first.tags == data.tags.count && first.people == data.people.count)
        let second = try await app.database.seed(data)
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
        }
        #expect(first.lists == 2 && first.issues == 3 && first.subscribers >= 6)
    }

    @Test func aBackupIsAConsistentCopy() async throws {
        let app = try TestApp()
        _ = try await app.database.seed(try loadSeed())
        let copyPath = app.folder.appendingPathComponent("backup.sqlite").path
        try await app.database.backup(to: copyPath)
        let copy = try AppDatabase.open(path: copyPath)
        let original = try await app.database.people(PeopleFilter(), viewer: .organiser, page: PageRequest(limit: 200))
        let copied = try await copy.people(PeopleFilter(), viewer: .organiser, page: PageRequest(limit: 200))
        #expect(copied.count == 39)
        #expect(copied == original)
        await #expect(throws: KoblingError.self) { try await app.database.backup(to: copyPath) }
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

    func loadSeed() throws -> SeedData {
        func read<T: Decodable>(_ name: String) throws -> T {
            try JSONDecoder().decode(T.self, from: Data(contentsOf: Self.seedFolder.appendingPathComponent(name)))
        }
        return SeedData(
            tags: try read("tags.json"), organisations: try read("organisations.json"), people: try read("people.json"),
            newsletter: try read("newsletter.json"))
    }
}
