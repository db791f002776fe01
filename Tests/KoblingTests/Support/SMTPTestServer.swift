import Foundation
import Mailer
import Testing

/// A real SMTP server (aiosmtpd, from scripts/setup --test) on a loopback port this test picks,
/// stopped when the test is done with it. Its state is set once, at start.
final class SMTPTestServer: @unchecked Sendable {
    struct Arrival: Decodable {
        var from: String
        var to: [String]
        var tls: Bool
        var auth: Bool
    }

    let port: Int
    let folder: URL
    private let process: ChildProcess

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/venv/bin/python")
    static let support = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    convenience init(certificate: TestCertificate? = nil, auth: String? = nil, refuse: [String: Int] = [:], pipelining: Bool = true,
         idleTimeout: Double? = nil, laterEHLODelay: Double? = nil) throws {
        var arguments: [String] = []
        if let certificate { arguments += ["--cert", certificate.certificate.path, "--key", certificate.key.path] }
        if let auth { arguments += ["--auth", auth] }
        if !pipelining { arguments.append("--no-pipelining") }
        if let idleTimeout { arguments += ["--idle-timeout", "\(idleTimeout)"] }
        if let laterEHLODelay { arguments += ["--later-ehlo-delay", "\(laterEHLODelay)"] }
        for (address, code) in refuse.sorted(by: { $0.key < $1.key }) { arguments += ["--refuse", "\(address)=\(code)"] }
        try self.init(script: "smtp_server.py", arguments: arguments)
    }

    /// A server that misbehaves on `faults` (faulty_smtp.py: the rules are described there), and
    /// closes each connection after `closeEvery` messages when given.
    convenience init(faults: [Fault], closeEvery: Int? = nil, seed: Int = 1, certificate: TestCertificate? = nil) throws {
        let script = String(decoding: try JSONEncoder().encode(faults), as: UTF8.self)
        var arguments = ["--script", script, "--seed", "\(seed)"]
        if let closeEvery { arguments += ["--close-every", "\(closeEvery)"] }
        if let certificate { arguments += ["--cert", certificate.certificate.path, "--key", certificate.key.path] }
        try self.init(script: "faulty_smtp.py", arguments: arguments)
    }

    private init(script: String, arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            throw TestServerError("no Python with aiosmtpd at \(Self.python.path): run scripts/setup --test")
        }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = try Self.freePort()
        let ready = folder.appendingPathComponent("ready")
        let arguments = [Self.support.appendingPathComponent(script).path, "--port", "\(port)",
                         "--out", folder.appendingPathComponent("mail").path, "--ready-file", ready.path] + arguments
        process = try ChildProcess(Self.python, arguments)
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: ready.path) {
            guard process.isRunning, Date() < deadline else {
                process.stop()
                throw TestServerError("the SMTP test server did not start")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    deinit {
        // A server that does not stop on SIGTERM within 5 s is killed.
        process.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Kobling's SMTP transport pointed at this server, with the given URL options.
    func transport(_ options: String = "tls=none") throws -> SMTPTransport {
        SMTPTransport(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(port)?\(options)"), messageIDDomain: "kobling.test")
    }

    /// The messages that arrived, oldest first: their envelope and the path of their .eml.
    func arrivals() throws -> [(envelope: Arrival, file: URL)] {
        let mail = folder.appendingPathComponent("mail")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: mail.path)) ?? []
        return try names.filter { $0.hasSuffix(".eml") }.sorted().map { name in
            let file = mail.appendingPathComponent(name)
            let envelope = try JSONDecoder().decode(
                Arrival.self, from: Data(contentsOf: file.deletingPathExtension().appendingPathExtension("json")))
            return (envelope, file)
        }
    }

    /// One rule of a faulty server's script (see faulty_smtp.py).
    struct Fault: Encodable {
        enum Stage: String, Encodable { case greeting, ehlo, starttls, mail, rcpt, data, content }
        enum Action: String, Encodable { case reply, reset, hang, late, delay, tlsFail = "tls-fail" }
        var stage: Stage
        var action: Action = .reply
        var reply: String?
        var close: Bool?
        var nth: Int?
        var every: Int?
        var connection: Int?
        var recipient: String?
        var times: Int?
        var probability: Double?
        var delay: Double?
    }

    /// The rules a faulty server applied, in order: the stage and what it did.
    func faultsApplied() -> [(stage: String, action: String)] {
        let log = (try? String(contentsOf: folder.appendingPathComponent("mail/faults.jsonl"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").compactMap { line in
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let stage = entry["stage"] as? String, let action = entry["action"] as? String else { return nil }
            return (stage, action)
        }
    }

    /// How many plain-text EHLO greetings the server saw: one per connection.
    func greetings() -> Int {
        (try? String(contentsOf: folder.appendingPathComponent("mail/greetings"), encoding: .utf8)).flatMap { Int($0) } ?? 0
    }

    /// What Python's email package makes of a message.
    static func read(_ file: URL) throws -> ReadMail {
        try runScript("read_mail.py", [file.path])
    }

    /// Runs one of the Python helpers beside this file and decodes the JSON it prints.
    private static func runScript<T: Decodable>(_ script: String, _ arguments: [String]) throws -> T {
        let (_, data) = try ChildProcess.run(python, [support.appendingPathComponent(script).path] + arguments)
        return try JSONDecoder().decode(T.self, from: data)
    }

    struct DKIMResult: Decodable {
        var verified: Bool
        var signedHeaders: [String]
    }

    /// What dkimpy makes of a message's DKIM signature, with the public key given directly.
    static func verifyDKIM(_ file: URL, publicKey: String) throws -> DKIMResult {
        let keyFile = file.deletingLastPathComponent().appendingPathComponent("dkim.pub")
        try publicKey.write(to: keyFile, atomically: true, encoding: .utf8)
        return try runScript("verify_dkim.py", [file.path, keyFile.path])
    }

    struct ReadMail: Decodable {
        var headers: [String: String]
        var contentType: String
        var text: String?
        var html: String?
        var longestLine: Int
        var longestLineText: String
        var bareLineFeeds: Int
    }

    static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        guard bound == 0 else { throw TestServerError("no free port") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A self-signed certificate for 127.0.0.1, made with openssl for one test.
struct TestCertificate {
    /// A fresh 2048-bit RSA key: its PEM, and its public key as base64 DER (a DKIM DNS record's p=).
    static func rsaKey() throws -> (pem: String, publicKeyBase64: String) {
        let pem = try openssl(["genrsa", "2048"])
        let der = try openssl(["rsa", "-pubout", "-outform", "DER"], input: pem)
        return (String(decoding: pem, as: UTF8.self), der.base64EncodedString())
    }

    /// Runs openssl; answers what it printed.
    static func openssl(_ arguments: [String], input: Data? = nil) throws -> Data {
        let (status, data) = try ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/openssl"), arguments, input: input ?? Data(), errors: .discarded)
        guard status == 0 else { throw TestServerError("openssl \(arguments[0]) failed") }
        return data
    }

    let certificate: URL
    let key: URL

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        certificate = folder.appendingPathComponent("cert.pem")
        key = folder.appendingPathComponent("key.pem")
        _ = try Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                              "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", certificate.path])
    }
}

struct TestServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
