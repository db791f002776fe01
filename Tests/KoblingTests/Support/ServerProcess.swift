import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// A real `kobling serve` process on a loopback port the test picks, with a data folder of its
/// own, stopped (and the folder removed) when the test is done with it. Tests that must see the
/// server hang without hanging themselves talk to it from this process over TCP.
final class ServerProcess: @unchecked Sendable {
    /// The binary under test: the build's, or `KOBLING_TEST_BINARY` (to try a test on another build).
    static let binary = ProcessInfo.processInfo.environment["KOBLING_TEST_BINARY"].map { URL(fileURLWithPath: $0) }
        ?? SMTPTestServer.root.appendingPathComponent(".build/debug/kobling")

    let folder: URL
    let port: Int
    let ownsFolder: Bool
    private let process: ChildProcess

    /// Starts `kobling serve` on `folder` (a new temporary one when nil) with `environment` over
    /// the test's own, and waits until `/health` answers.
    init(folder: URL? = nil, environment: [String: String] = [:]) async throws {
        ownsFolder = folder == nil
        self.folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("kobling-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        port = try SMTPTestServer.freePort()
        process = try Self.launch(["serve", "--port", "\(port)", "--data-dir", self.folder.path], environment: environment)
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let response = try? await get("/health", timeout: .seconds(1)), response.status == .ok { break }
            guard process.isRunning, ContinuousClock.now < deadline else {
                stop()
                throw TestServerError("kobling serve did not start on port \(port)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    deinit {
        stop()
        if ownsFolder { try? FileManager.default.removeItem(at: folder) }
    }

    /// Stops the server with SIGTERM, and SIGKILL when it has not stopped within 5 s (a server
    /// that hangs does not stop on SIGTERM).
    func stop() {
        process.stop()
    }

    func kill() {
        process.kill()
    }

    var isRunning: Bool { process.isRunning }

    /// Runs another `kobling` command (seed, organiser create, backup) on the server's data
    /// folder and answers what it printed.
    @discardableResult
    func command(_ arguments: [String]) throws -> String {
        try Self.command(arguments + ["--data-dir", folder.path])
    }

    static func command(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = try launch(arguments, environment: environment, captureOutput: true)
        let data = process.readOutput()
        guard process.wait(timeout: 300) else {
            process.kill()
            throw TestServerError("kobling \(arguments.joined(separator: " ")) did not end")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard process.status == 0 else {
            throw TestServerError("kobling \(arguments.joined(separator: " ")) exited \(process.status): \(text)")
        }
        return text
    }

    /// Loads the demo community and makes an organiser; answers the organiser's one-time password.
    func seedDemo(organiser email: String = "organiser@kobling.test") throws -> String {
        try command(["seed", "--from", SMTPTestServer.root.appendingPathComponent("seed").path])
        let printed = try command(["organiser", "create", "--email", email])
        guard let password = printed.split(separator: "\n").last.map(String.init), !password.isEmpty else {
            throw TestServerError("no one-time password in: \(printed)")
        }
        return password
    }

    private static func launch(_ arguments: [String], environment: [String: String], captureOutput: Bool = false) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestServerError("no kobling binary at \(binary.path): run swift build --build-tests")
        }
        var merged = ProcessInfo.processInfo.environment
        merged["KOBLING_LOG_LEVEL"] = "error"
        for (name, value) in environment { merged[name] = value }
        return try ChildProcess(binary, arguments, environment: merged, captureOutput: captureOutput)
    }

    /// A client with a connection of its own to the server.
    func client(timeout: Duration) -> TestClient {
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: timeout))
        client.connect()
        return client
    }

    /// One request on a connection of its own.
    func get(_ uri: String, timeout: Duration, headers: HTTPFields = [:]) async throws -> TestClient.Response {
        let client = client(timeout: timeout)
        defer { Task { try? await client.shutdown() } }
        return try await Self.answer(on: client, within: timeout) { try await $0.get(uri, headers: headers) }
    }

    /// The answer to `request`, or `Unanswered` once `timeout` has passed without one; the
    /// connection is then closed. (`TestClient`'s own timeout still waits for a server that never
    /// answers, as a task group waits for all its tasks.)
    static func answer(
        on client: TestClient, within timeout: Duration,
        _ request: @escaping @Sendable (TestClient) async throws -> TestClient.Response
    ) async throws -> TestClient.Response {
        let outcome = Outcome()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.set(continuation)
            Task {
                do {
                    outcome.resume(with: .success(try await request(client)))
                } catch {
                    outcome.resume(with: .failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                if outcome.resume(with: .failure(Unanswered(timeout: timeout))) { try? await client.shutdown() }
            }
        }
    }

    struct Unanswered: Error, CustomStringConvertible {
        let timeout: Duration
        var description: String { "no answer within \(timeout)" }
    }

    /// Resumes a continuation once, with whichever of the answer and the timeout comes first.
    private final class Outcome: Sendable {
        private let state = Mutex<(continuation: CheckedContinuation<TestClient.Response, any Error>?, done: Bool)>((nil, false))

        /// Called before either task starts.
        func set(_ continuation: CheckedContinuation<TestClient.Response, any Error>) {
            state.withLock { $0.continuation = continuation }
        }

        @discardableResult
        func resume(with result: Result<TestClient.Response, any Error>) -> Bool {
            let continuation: CheckedContinuation<TestClient.Response, any Error>? = state.withLock { state in
                guard !state.done else { return nil }
                state.done = true
                return state.continuation
            }
            continuation?.resume(with: result)
            return continuation != nil
        }
    }

    /// Signs in and answers the bearer token.
    func login(_ email: String, password: String) async throws -> String {
        let client = client(timeout: .seconds(30))
        defer { Task { try? await client.shutdown() } }
        let response = try await client.post(
            "/v1/auth/login", headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"email":"\#(email)","password":"\#(password)"}"#))
        guard response.status == .ok, let body = response.body,
              let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
              let token = object["token"] as? String
        else { throw TestServerError("log-in as \(email) failed: \(response.status)") }
        return token
    }
}
