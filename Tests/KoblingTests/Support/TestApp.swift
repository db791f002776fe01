@testable import Background
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoblingAPI
import KoblingCore
import Logging
import Mail
import NIOCore
import Storage
import Testing

/// A Kobling on a fresh SQLite file in a temporary folder, mail written to files there. The
/// folder goes when the last reference to the app does.
final class TestApp: Sendable {
    let folder: URL
    let services: AppServices
    let time: ManualTime

    /// Where the messages sent are read from: the file transport's folder, or the real SMTP
    /// server's (`smtp`), which lives as long as the app.
    let mailFolder: URL
    let smtp: SMTPTestServer?

    init(
        mail: (any MailTransport)? = nil, smtp: SMTPTestServer? = nil, outbox: OutboxWorker.Settings = .manual,
        jobs: JobRunner.Settings = .manual, configure: (inout AppConfiguration) -> Void = { _ in }
    ) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-test-\(UUID().uuidString)")
        var configuration = AppConfiguration()
        configuration.dataDirectory = folder.path
        configuration.bcryptCost = 4
        configuration.publicBaseURL = "https://kobling.test"
        configure(&configuration)
        let (clock, time) = Clock.manual(Date(timeIntervalSince1970: 1_795_000_000))
        self.time = time
        let database = try AppDatabase.open(path: configuration.resolvedDatabasePath, clock: clock, access: configuration.access)
        self.smtp = smtp
        mailFolder = smtp.map { $0.folder.appendingPathComponent("mail") } ?? configuration.mailDirectory
        services = try AppServices(
            configuration: configuration, database: database,
            mail: try mail ?? smtp?.transport() ?? FileMailTransport(directory: configuration.mailDirectory),
            clock: clock, outboxSettings: outbox, jobSettings: jobs)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    var database: AppDatabase { services.database }

    /// Renders sent issues for the archive, as the server does.
    var renderArchive: ArchiveRenderer { IssueTemplates(configuration: services.configuration).archive }

    func application() -> some ApplicationProtocol {
        buildApplication(services, logger: Logger(label: "test"))
    }

    /// Runs `body` against the real router.
    func test<Value: Sendable>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await application().test(.router) { client in try await body(client) }
    }

    /// The messages sent so far (the outbox worked through first), oldest first, as raw RFC 5322
    /// text: as the file transport wrote them, or as they arrived at the SMTP server.
    func sentMail() async throws -> [String] {
        try await services.outbox.runOnce()
        let directory = mailFolder
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".eml") }.sorted()
            .map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }
    }

    /// The token of the newest mailed link to `recipient` that starts with `prefix`. (Mail queued
    /// together goes out in no particular order, so the newest message may be another.)
    func mailedToken(_ prefix: String, to recipient: String) async throws -> String {
        let mail = try await sentMail().last {
            ($0.contains("To: \(recipient)") || $0.contains("<\(recipient)>")) && Mailed.token(prefix, in: $0) != nil
        }
        return try #require(mail.flatMap { Mailed.token(prefix, in: $0) }, "no mail to \(recipient) with a \(prefix) link")
    }

    /// Signs up and opens the emailed verification link, as a new member does.
    func verifiedSignup(_ client: any TestClientProtocol, _ email: String, name: String = "Test Person") async throws -> Member {
        let member = try await client.signup(email, name: name)
        let token = try await mailedToken("https://kobling.test/verify-email?token=", to: email)
        let verified = try await client.request(.post, "/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#)
        #expect(verified.status == .ok, "verification failed: \(verified.text)")
        return member
    }

    /// Makes an organiser account directly in the database, as `kobling organiser create` does.
    func makeOrganiser(email: String = "organiser@kobling.test", password: String = "organiser password 1") async throws {
        let hash = try await PasswordHasher(cost: 4).hash(password)
        _ = try await database.ensureOrganiser(email: EmailAddress(email)!, passwordHash: hash, name: "Organiser")
    }
}

/// The token of the first link in a sent message that starts with `prefix`.
enum Mailed {
    static func token(_ prefix: String, in mail: String) -> String? {
        let body = QuotedPrintable.decode(mail)
        guard let range = body.range(of: prefix) else { return nil }
        return String(body[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }
}

/// A signed-in account as the tests use it.
struct Member: Sendable {
    let token: String
    let accountId: String
    let personId: String
}

extension TestClientProtocol {
    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, as user: Member? = nil,
        contentType: String = "application/json", headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let user { headers[.authorization] = "Bearer \(user.token)" }
        if json != nil && headers[.contentType] == nil { headers[.contentType] = contentType }
        return try await executeRequest(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    func signup(_ email: String, name: String = "Test Person", password: String = "correct horse battery") async throws -> Member {
        let response = try await request(.post, "/v1/auth/signup", json: #"{"email":"\#(email)","password":"\#(password)","name":"\#(name)"}"#)
        #expect(response.status == .created, "signup failed: \(response.text)")
        return try Member(response)
    }

    func login(_ email: String, password: String) async throws -> Member {
        let response = try await request(.post, "/v1/auth/login", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        #expect(response.status == .ok, "login failed: \(response.text)")
        return try Member(response)
    }

    func organiser(email: String = "organiser@kobling.test", password: String = "organiser password 1") async throws -> Member {
        try await login(email, password: password)
    }
}

extension Member {
    init(_ response: TestResponse) throws {
        let session = try response.json()
        let account = try #require(session["account"] as? [String: Any])
        token = try #require(session["token"] as? String)
        accountId = try #require(account["id"] as? String)
        personId = try #require(account["personId"] as? String)
    }
}

extension TestResponse {
    func json() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any], "not a JSON object: \(text)")
    }

    func items() throws -> [[String: Any]] {
        let object = try json()
        return try #require(object["items"] as? [[String: Any]])
    }

    var text: String { String(buffer: body) }

    /// The problem body, checking that it is one.
    @discardableResult
    func problem() throws -> [String: Any] {
        #expect(headers[.contentType] == "application/problem+json", "not a problem: \(text)")
        let problem = try json()
        #expect(problem["status"] as? Int == Int(status.code))
        #expect(problem["title"] is String && problem["type"] is String && problem["detail"] is String)
        return problem
    }

    /// The pointers (or parameter names) of a problem's field errors.
    func pointers() throws -> [String] {
        let body = try problem()
        let errors = try #require(body["errors"] as? [[String: Any]])
        return errors.compactMap { $0["pointer"] as? String ?? $0["parameter"] as? String }
    }
}

extension OutboxWorker.Settings {
    /// The tests send with `runOnce` themselves.
    static var manual: Self {
        var settings = Self()
        settings.sendsInBackground = false
        return settings
    }
}

extension JobRunner.Settings {
    /// The tests run due jobs with `runDue` themselves.
    static var manual: Self {
        var settings = Self()
        settings.runsInBackground = false
        return settings
    }
}

/// Runs blocking work (the outbox's synchronous database calls) on a thread of its own, as the
/// outbox does, rather than on the test's cooperative thread.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await Thread.run(name: "kobling.test") { Result { try work() } }.get()
}

/// Polls `condition` every 5 ms until it holds; fails after `timeout`.
func waitUntil(
    _ what: String = "a condition holds", timeout: Duration = .seconds(10), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestServerError("timed out waiting until \(what)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}
