import Foundation
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

    public func send(_ message: MailMessage) async throws -> String {
        try write(message)
    }

    public func makeLane() -> any MailLane {
        Lane(transport: self)
    }

    final class Lane: MailLane {
        let transport: FileMailTransport
        init(transport: FileMailTransport) { self.transport = transport }

        func send(_ message: MailMessage) throws -> (messageID: String, reply: String) {
            (try transport.write(message), "written")
        }
    }

    /// Writes the message as a file; answers its Message-ID.
    func write(_ message: MailMessage) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let now = Date()
        let unique = UUID().uuidString.lowercased()
        let messageID = "\(unique)@\(domain)"
        var text = MessageRenderer.render(message, messageID: messageID, date: now)
        if let signer { text = try signer.sign(text, at: now) }
        let stamp = String(format: "%.6f", now.timeIntervalSince1970)
        let file = directory.appendingPathComponent("\(stamp)-\(unique).eml")
        // Write under a temporary name and rename, so that a reader never sees half a message.
        let partial = directory.appendingPathComponent(".\(unique).partial")
        try Data(text.utf8).write(to: partial)
        try FileManager.default.moveItem(at: partial, to: file)
        logger.info("mail written", metadata: ["file": "\(file.lastPathComponent)", "recipients": "\(message.to.count)"])
        return messageID
    }
}
