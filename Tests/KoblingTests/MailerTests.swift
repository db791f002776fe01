import Foundation
import Mail
@testable import Mailer
import Testing

/// The SMTP transport against a real SMTP server on loopback.
@Suite(.serialized) struct MailerTests {
    static let danish = MailMessage(
        from: Mailbox("hub@kobling.test", name: "Kobling – Sundhed & AI"),
        to: [Mailbox("soeren@example.test", name: "Søren Ærø Åberg")],
        replyTo: Mailbox("svar@kobling.test"),
        subject: "Nyhedsbrev for august: øjensygdomme, æbler og åndedræt",
        text: "Kære Søren\n\nVi ses på Rigshospitalet. " + String(repeating: "Lang linje med æøå ", count: 12) + "\n.\nHilsen",
        html: "<p>Kære Søren</p><p>Vi ses på <b>Rigshospitalet</b>.</p>",
        headers: [("List-Unsubscribe", "<https://kobling.test/u/abc>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")])

    func transport(_ url: String) throws -> SMTPTransport {
        SMTPTransport(configuration: try SMTPConfiguration(url: url, heloName: "kobling.test"), messageIDDomain: "kobling.test")
    }

    @Test func startTLSWithAuthDeliversAndDanishLettersSurvive() async throws {
        let certificate = try TestCertificate()
        let server = try SMTPTestServer(certificate: certificate, auth: "kobling:hemmelig kode")
        let mailer = try transport("smtp://kobling:hemmelig%20kode@127.0.0.1:\(server.port)?tls=required&ca=\(certificate.certificate.path)")
        let messageID = try await mailer.send(Self.danish)

        let arrivals = try server.arrivals()
        try #require(arrivals.count == 1)
        #expect(arrivals[0].envelope.tls)
        #expect(arrivals[0].envelope.auth)
        #expect(arrivals[0].envelope.from == "hub@kobling.test")
        #expect(arrivals[0].envelope.to == ["soeren@example.test"])
        let mail = try SMTPTestServer.read(arrivals[0].file)
        #expect(mail.headers["Subject"] == Self.danish.subject)
        #expect(mail.headers["To"] == "Søren Ærø Åberg <soeren@example.test>")
        #expect(mail.headers["From"] == "Kobling – Sundhed & AI <hub@kobling.test>")
        #expect(mail.headers["Reply-To"] == "svar@kobling.test")
        #expect(mail.headers["Message-ID"] == "<\(messageID)>")
        #expect(mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
        #expect(mail.headers["Date"] != nil)
        #expect(mail.headers["Bcc"] == nil)
        #expect(mail.contentType == "multipart/alternative")
        #expect(mail.text?.replacingOccurrences(of: "\r\n", with: "\n") == Self.danish.text)
        #expect(mail.html?.contains("Vi ses på <b>Rigshospitalet</b>") == true)
        #expect(mail.longestLine <= 78, "\(mail.longestLineText)")
        #expect(mail.bareLineFeeds == 0)
    }

    @Test func requiredTLSRefusesAServerWithoutIt() async throws {
        let server = try SMTPTestServer()
        let mailer = try transport("smtp://127.0.0.1:\(server.port)?tls=required")
        let error = try await #require(throws: MailDeliveryError.self) { try await mailer.send(Self.danish) }
        #expect(error.kind == .setup)
        #expect(error.stage == .tls)
        #expect(try server.arrivals().isEmpty)

        // Opportunistic TLS goes on in plain text with such a server.
        let relaxed = try transport("smtp://127.0.0.1:\(server.port)?tls=opportunistic")
        try await relaxed.send(Self.danish)
        #expect(try server.arrivals().map(\.envelope.tls) == [false])
    }

    /// With and without PIPELINING (RFC 2920): the commands of a message go out together or in turn.
    @Test(arguments: [true, false]) func failuresAreClassified(pipelining: Bool) async throws {
        let certificate = try TestCertificate()
        let server = try SMTPTestServer(
            certificate: certificate, auth: "kobling:rigtig",
            refuse: ["gone@example.test": 550, "busy@example.test": 451], pipelining: pipelining)
        let base = "127.0.0.1:\(server.port)?tls=required&ca=\(certificate.certificate.path)"
        let mailer = try transport("smtp://kobling:rigtig@\(base)")
        func attempt(_ address: String, with transport: SMTPTransport) async -> MailDeliveryError? {
            var message = Self.danish
            message.to = [Mailbox(address)]
            do {
                try await transport.send(message)
                return nil
            } catch {
                return error as? MailDeliveryError
            }
        }
        let gone = await attempt("gone@example.test", with: mailer)
        #expect(gone?.kind == .permanent && gone?.stage == .recipient && gone?.code == 550)
        #expect(gone?.bounce == .hard)
        #expect(gone?.detail.contains("Mailbox unavailable") == true, "\(String(describing: gone))")
        let busy = await attempt("busy@example.test", with: mailer)
        #expect(busy?.kind == .transient && busy?.stage == .recipient && busy?.code == 451)
        #expect(busy?.bounce == .soft)
        let wrongPassword = await attempt("soeren@example.test", with: try transport("smtp://kobling:forkert@\(base)"))
        #expect(wrongPassword?.kind == .setup && wrongPassword?.stage == .authentication, "\(String(describing: wrongPassword))")
        let untrusted = await attempt("soeren@example.test", with: try transport("smtp://kobling:rigtig@127.0.0.1:\(server.port)?tls=required"))
        #expect(untrusted?.kind == .setup && untrusted?.stage == .tls)
        // After all that, the first transport still delivers, over the connection it had: a
        // refused recipient ends its transaction with RSET, not the connection.
        #expect(await attempt("soeren@example.test", with: mailer) == nil)
        #expect(try server.arrivals().count == 1)
        #expect(server.greetings() == 3, "one connection each for the three transports that logged in or tried")

        let nobody = try SMTPTestServer.freePort()
        let refused = await attempt("soeren@example.test", with: try transport("smtp://127.0.0.1:\(nobody)?tls=none&timeout=5"))
        #expect(refused?.kind == .transient && refused?.stage == .connection)
    }

    @Test func connectionsAreReusedAndCapped() async throws {
        let server = try SMTPTestServer()
        let mailer = try transport("smtp://127.0.0.1:\(server.port)?tls=none&connections=3")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<30 {
                group.addTask {
                    var message = Self.danish
                    message.to = [Mailbox("person\(index)@example.test")]
                    try await mailer.send(message)
                }
            }
            try await group.waitForAll()
        }
        let arrivals = try server.arrivals()
        #expect(Set(arrivals.flatMap(\.envelope.to)) == Set((0..<30).map { "person\($0)@example.test" }))
        #expect((1...3).contains(server.greetings()), "\(server.greetings()) connections for 30 messages")
    }

    /// Runs `stream` over the Danish message to each of `addresses` (the reference of each).
    static func send(_ addresses: [String], through stream: any MailStream, done: (String, Result<SentMail, MailDeliveryError>) -> Void) {
        var queue = addresses[...]
        stream.run(next: {
            guard let address = queue.popFirst() else { return .end }
            var message = danish
            message.to = [Mailbox(address)]
            return .mail(OutgoingMail(reference: address, message: message))
        }, done: done)
    }

    /// A stream of one connection that sends `data` as it is, whatever the message.
    func rawStream(_ data: [UInt8], port: Int) throws -> SMTPStream {
        SMTPStream(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(port)?tls=none"), connections: 1) { _ in
            ("x@kobling.test", data)
        }
    }

    /// Sends one message through `stream` to the envelope recipients; answers its outcome.
    func deliver(through stream: SMTPStream, to recipients: [String]) -> Result<SentMail, MailDeliveryError> {
        stream.send(OutgoingMail(reference: "one", template: MessageTemplate(Self.danish), to: recipients.map { Mailbox($0) }, values: []))
    }

    func deliver(_ data: [UInt8], to recipients: [String], port: Int) throws -> Result<SentMail, MailDeliveryError> {
        deliver(through: try rawStream(data, port: port), to: recipients)
    }

    @Test func pipeliningIsUsedWhenTheServerOffersIt() throws {
        for offered in [true, false] {
            let server = try SMTPTestServer(pipelining: offered)
            let connection = try SMTPConnection(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)?tls=none"))
            #expect(connection.capabilities.pipelining == offered)
            #expect(connection.capabilities.size != nil, "aiosmtpd names its SIZE limit")
            _ = try deliver(Array("Subject: x\r\n\r\n.dot\r\n".utf8), to: ["soeren@example.test"], port: server.port).get()
            let raw = try String(contentsOf: try #require(try server.arrivals().first?.file), encoding: .utf8)
            #expect(raw.contains("\n.dot"), "the doubled dot is undone by the server")
        }
    }

    /// One stream over several connections: each message's commands travel with the previous
    /// message's content, every message arrives once, and the connections are kept for the next run.
    /// Over STARTTLS too, where libcurl's reads and writes go through TLS without waiting.
    @Test(arguments: [(true, false), (false, false), (true, true)]) func aStreamKeepsEveryConnectionBusy(pipelining: Bool, tls: Bool) async throws {
        let certificate = tls ? try TestCertificate() : nil
        let server = try SMTPTestServer(certificate: certificate, refuse: ["gone@example.test": 550], pipelining: pipelining)
        let security = certificate.map { "tls=required&ca=\($0.certificate.path)" } ?? "tls=none"
        let stream = try transport("smtp://127.0.0.1:\(server.port)?\(security)&connections=3").makeStream()
        #expect(stream.width == 3)
        func run(_ addresses: [String]) -> [String: Result<SentMail, MailDeliveryError>] {
            var outcomes: [String: Result<SentMail, MailDeliveryError>] = [:]
            Self.send(addresses, through: stream) { reference, outcome in
                #expect(outcomes[reference] == nil, "one outcome a message")
                outcomes[reference] = outcome
            }
            return outcomes
        }
        // A refused address in the middle fails alone; the messages after it on its connection go.
        let addresses = (0..<40).map { $0 == 17 ? "gone@example.test" : "reader\($0)@example.test" }
        let outcomes = run(addresses)
        #expect(outcomes.count == 40)
        if case .failure(let error) = outcomes["gone@example.test"] {
            #expect(error.code == 550 && error.stage == .recipient)
        } else {
            Issue.record("the refused address was reported sent")
        }
        let sent = outcomes.compactMap { try? $0.value.get() }
        #expect(sent.count == 39 && sent.allSatisfy { $0.reply.hasPrefix("250") })
        #expect(Set(sent.map(\.messageID)).count == 39)
        let arrivals = try server.arrivals()
        #expect(arrivals.count == 39)
        #expect(arrivals.allSatisfy { $0.envelope.tls == tls })
        #expect(Set(arrivals.flatMap(\.envelope.to)) == Set(addresses.filter { $0 != "gone@example.test" }))
        #expect(server.greetings() == 3)
        #expect(run(["again@example.test"])["again@example.test"].map { (try? $0.get()) != nil } == true)
        #expect(server.greetings() == 3, "the second run reuses a connection")
    }

    /// Opening a connection to a slow server holds up none of the connections already open.
    @Test func aConnectionBeingOpenedHoldsUpNoOther() throws {
        let server = try SMTPTestServer(laterEHLODelay: 1.5)
        let stream = try transport("smtp://127.0.0.1:\(server.port)?tls=none&connections=2").makeStream()
        _ = try stream.send(OutgoingMail(reference: "first", message: Self.danish)).get()
        #expect(server.greetings() == 1)
        // The second connection takes 1.5 s to open; the first delivers meanwhile.
        let start = ContinuousClock.now
        var times: [Duration] = []
        Self.send((0..<20).map { "reader\($0)@example.test" }, through: stream) { _, outcome in
            #expect((try? outcome.get()) != nil)
            times.append(ContinuousClock.now - start)
        }
        #expect(times.count == 20)
        #expect(times.filter { $0 < .seconds(1) }.count >= 10, "\(times)")
        #expect(server.greetings() == 2)
        #expect(try server.arrivals().count == 21)
    }

    @Test func aConnectionTheServerClosedWhileIdleIsOpenedAgain() async throws {
        let server = try SMTPTestServer(idleTimeout: 0.5)
        let mailer = try transport("smtp://127.0.0.1:\(server.port)?tls=none&connections=1")
        try await mailer.send(Self.danish)
        try await Task.sleep(for: .seconds(1.2))
        try await mailer.send(Self.danish)
        #expect(try server.arrivals().count == 2)
        #expect(server.greetings() == 2)
    }

    @Test func severalRecipientsOneRefusedSendsNothing() throws {
        let server = try SMTPTestServer(refuse: ["gone@example.test": 550])
        let text = Array(MessageRenderer.render(Self.danish, messageID: "x@kobling.test", date: Date()).utf8)
        let stream = try rawStream(text, port: server.port)
        let refused = deliver(through: stream, to: ["soeren@example.test", "gone@example.test"])
        #expect(throws: MailDeliveryError.self) { try refused.get() }
        #expect(try server.arrivals().isEmpty)
        _ = try deliver(through: stream, to: ["soeren@example.test"]).get()
        #expect(try server.arrivals().count == 1)
        // The commands went out together, so the server took DATA for the recipient it accepted:
        // that connection was closed mid-message (a lone dot would send an empty message), and
        // the next message went over a new one.
        #expect(server.greetings() == 2)
    }

    @Test func recipientsTravelOnlyInTheEnvelope() throws {
        let server = try SMTPTestServer()
        let text = Array(MessageRenderer.render(Self.danish, messageID: "x@kobling.test", date: Date()).utf8)
        _ = try deliver(text, to: ["soeren@example.test", "hidden@example.test"], port: server.port).get()
        let arrival = try #require(try server.arrivals().first)
        #expect(arrival.envelope.to == ["soeren@example.test", "hidden@example.test"])
        let raw = try String(contentsOf: arrival.file, encoding: .utf8)
        #expect(!raw.contains("hidden@example.test"))
    }

    @Test func theURLIsCheckedPlainly() throws {
        let configuration = try SMTPConfiguration(url: "smtp://user%40hub:p%C3%A6ss@mail.hub.dk?connections=8")
        #expect(configuration.url == "smtp://mail.hub.dk:587")
        #expect(configuration.tls == .required)
        #expect(configuration.username == "user@hub" && configuration.password == "pæss")
        #expect(configuration.connections == 8 && configuration.timeout == 30)
        #expect(configuration.redacted == "smtp://user@hub@mail.hub.dk:587")
        #expect(try SMTPConfiguration(url: "smtps://mail.hub.dk").url == "smtps://mail.hub.dk:465")
        #expect(try SMTPConfiguration(url: "smtps://mail.hub.dk").tls == .implicit)
        for bad in ["http://mail.hub.dk", "smtp://", "smtp://h?tls=maybe", "smtp://h?connections=0", "smtp://h?colour=blue", "smtps://h?tls=none"] {
            #expect(throws: SMTPConfiguration.Invalid.self, "\(bad)") { try SMTPConfiguration(url: bad) }
        }
    }

    @Test func dkimSignaturesVerifyWithAnIndependentVerifier() async throws {
        let key = try TestCertificate.rsaKey()
        let signer = try DKIMSigner(domain: "kobling.test", selector: "hub2026", privateKeyPEM: key.pem)
        let server = try SMTPTestServer()
        let mailer = SMTPTransport(
            configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)?tls=none"),
            messageIDDomain: "kobling.test", signer: signer)
        var message = Self.danish
        message.text += "\n\n  Trailing  spaces   and tabs\t \n\n\n"
        try await mailer.send(message)
        let file = try #require(try server.arrivals().first?.file)
        let result = try SMTPTestServer.verifyDKIM(file, publicKey: key.publicKeyBase64)
        #expect(result.verified)
        #expect(Set(result.signedHeaders).isSuperset(of: ["from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"]))

        // The same message changed on the way no longer verifies.
        let tampered = file.deletingLastPathComponent().appendingPathComponent("tampered.eml")
        let raw = try String(contentsOf: file, encoding: .utf8)
        try raw.replacingOccurrences(of: "Rigshospitalet", with: "Riget").write(to: tampered, atomically: true, encoding: .utf8)
        #expect(try SMTPTestServer.verifyDKIM(tampered, publicKey: key.publicKeyBase64).verified == false)

        #expect(throws: DKIMSigner.Invalid.self) { try DKIMSigner(domain: "kobling.test", selector: "s", privateKeyPEM: "not a key") }
    }
}

/// The SMTP conversation's pure parts: replies however they arrive, and DATA's dot rule.
struct SMTPWireTests {
    @Test func repliesAreReadAcrossReadsAndLines() throws {
        var reader = SMTPReplyReader()
        func feed(_ text: String) { Array(text.utf8).withUnsafeBytes { reader.append($0) } }
        feed("250-mail.hub.dk greets you\r\n250-PIPE")
        #expect(try reader.next() == nil)
        feed("LINING\r\n250 SIZE 10240000\r\n354 Go ahead\r\n25")
        let ehlo = try #require(try reader.next())
        #expect(ehlo.code == 250 && ehlo.lines == ["mail.hub.dk greets you", "PIPELINING", "SIZE 10240000"])
        #expect(SMTPCapabilities(ehlo: ehlo.lines) == { var c = SMTPCapabilities(); c.pipelining = true; c.size = 10_240_000; return c }())
        #expect(try reader.next() == SMTPReply(code: 354, lines: ["Go ahead"]))
        #expect(try reader.next() == nil)
        feed("0\r\n")
        #expect(try reader.next() == SMTPReply(code: 250, lines: []))
        feed("hello there\r\n")
        #expect(throws: SMTPReplyReader.Malformed.self) { try reader.next() }
        var mixed = SMTPReplyReader()
        Array("250-one\r\n550 two\r\n".utf8).withUnsafeBytes { mixed.append($0) }
        #expect(throws: SMTPReplyReader.Malformed.self) { try mixed.next() }
    }

    @Test func dataDoublesLeadingDotsAndEndsWithOne() {
        let block = SMTPCommands.dataBlock(Array("Subject: x\r\n\r\n.hidden\r\n..two\nbare\r\nno end".utf8))
        #expect(String(decoding: block, as: UTF8.self) == "Subject: x\r\n\r\n..hidden\r\n...two\r\nbare\r\nno end\r\n.\r\n")
        #expect(String(decoding: SMTPCommands.dataBlock(Array("a\r\n".utf8)), as: UTF8.self) == "a\r\n.\r\n")
        #expect(SMTPCommands.mail(from: "hub@kobling.test", size: 6000) == Array("MAIL FROM:<hub@kobling.test> SIZE=6000\r\n".utf8))
    }
}

/// The stream's circuit, as pure logic.
@Suite struct SendCircuitTests {
    @Test func aBurstOpensItAndEachReopeningDoublesThePauseUntilASuccess() {
        var circuit = SendCircuit(settings: .init(threshold: 3, firstPause: 10, lastPause: 25))
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(circuit.failedTransiently("451", at: start) == nil)
        circuit.succeeded()
        #expect(circuit.failedTransiently("451", at: start) == nil)
        #expect(circuit.failedTransiently("451", at: start) == nil)
        #expect(circuit.allows(at: start))
        #expect(circuit.failedTransiently("421", at: start) == 10)
        #expect(!circuit.allows(at: start + 9) && circuit.reason == "421")
        // Failures of messages already under way while it is open change nothing.
        #expect(circuit.failedTransiently("421", at: start + 5) == nil)
        #expect(circuit.allows(at: start + 10))
        #expect(circuit.failedTransiently("421", at: start + 10) == 20)
        #expect(circuit.failedTransiently("421", at: start + 30) == 25, "the pause stops growing at lastPause")
        circuit.succeeded()
        #expect(circuit.allows(at: start + 30) && circuit.openUntil == nil && circuit.opened == 0)
        #expect(circuit.failedTransiently("451", at: start + 31) == nil, "after a success the threshold counts again")
    }

    @Test func aSetupFaultNeedsAnOrganiserOnlyWhenItRepeats() {
        var circuit = SendCircuit()
        let first = circuit.failedOnSetup()
        #expect(!first, "one TLS handshake that failed is retried")
        circuit.succeeded()
        let again = circuit.failedOnSetup()
        let twice = circuit.failedOnSetup()
        #expect(!again)
        #expect(twice, "twice with nothing through between is the setup's")
        #expect(circuit.openUntil == nil, "a setup fault does not back off the stream")

        // Four connections: a failed handshake on each is retried, one more pauses.
        var wide = SendCircuit(settings: SendCircuit.Settings().forStream(of: 4))
        let four = (0..<4).map { _ in wide.failedOnSetup() }
        #expect(four == [false, false, false, false])
        let fifth = wide.failedOnSetup()
        #expect(fifth)
    }
}
