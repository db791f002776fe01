import Foundation
import KoblingCore
import Logging

/// The default transport: each message becomes an `.eml` file in a folder, so that Kobling runs
/// on a machine with no mail server and a developer can open what would have been sent.
public struct FileMailTransport: MailTransport {
    public let directory: URL
    let domain: String
    let logger: Logger
    let signer: DKIMSigner?

    public init(directory: URL, domain: String = "kobling.local", signer: DKIMSigner? = nil, logger: Logger = Logger(label: "kobling.mail")) {
        self.directory = directory
        self.domain = domain
        self.signer = signer
        self.logger = logger
    }

    /// Writes the message on a thread of its own (file I/O blocks).
    public func send(_ message: MailMessage) async throws -> String {
        try await Thread.run(name: "kobling.mail.file") { Result { try write(OutgoingMail(reference: "", message: message)) } }.get()
    }

    public func makeStream() -> any MailStream {
        Stream(transport: self)
    }

    /// Writes one message after another.
    final class Stream: MailStream {
        let transport: FileMailTransport
        init(transport: FileMailTransport) { self.transport = transport }

        var width: Int { 1 }

        func run(next: () -> StreamStep, done: (String, Result<SentMail, MailDeliveryError>) -> Void) {
            while true {
                switch next() {
                case .end:
                    return
                case .wait(let duration):
                    Thread.sleep(forTimeInterval: duration.inSeconds)
                case .mail(let mail):
                    do {
                        done(mail.reference, .success(SentMail(messageID: try transport.write(mail), reply: "written")))
                    } catch {
                        done(mail.reference, .failure(MailDeliveryError(kind: .transient, stage: .connection, detail: "\(error)")))
                    }
                }
            }
        }
    }

    /// Writes the message as a file; answers its Message-ID.
    func write(_ mail: OutgoingMail) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let now = Date()
        let (messageID, data) = try mail.rendered(domain: domain, signer: signer, at: now)
        let unique = messageID.prefix { $0 != "@" }
        let stamp = String(format: "%.6f", now.timeIntervalSince1970)
        let file = directory.appendingPathComponent("\(stamp)-\(unique).eml")
        // Write under a temporary name and rename, so that a reader never sees half a message.
        let partial = directory.appendingPathComponent(".\(unique).partial")
        try Data(data).write(to: partial)
        try FileManager.default.moveItem(at: partial, to: file)
        logger.info("mail written", metadata: ["file": "\(file.lastPathComponent)", "recipients": "\(mail.to.count)"])
        return messageID
    }
}
