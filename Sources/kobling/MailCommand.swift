import ArgumentParser
import Foundation
import KoblingCore
import Logging
import Mail
import Mailer

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Check the mail setup.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test message through the configured transport and say what the server answered.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Where to send the test message.") var to: String

        func run() async throws {
            guard let address = EmailAddress(to) else { throw ValidationError("\"\(to)\" is not an email address.") }
            let configuration = try common.configuration()
            let transport = try common.mailTransport(configuration, logger: Logger(label: "kobling.mail"))
            let message = MailMessage(
                from: configuration.sender, to: [Mailbox(address.value)],
                subject: "Kobling: testbesked / test message",
                text: """
                    Denne besked viser, at Kobling kan sende mail. Æ, ø og å skal se rigtige ud.
                    This message shows that Kobling can send mail. Æ, ø and å should look right.
                    """,
                html: "<p>Denne besked viser, at Kobling kan sende mail. Æ, ø og å skal se rigtige ud.</p>"
                    + "<p>This message shows that Kobling can send mail. Æ, ø and å should look right.</p>")
            do {
                if let smtp = transport as? SMTPTransport {
                    let (_, reply) = try await smtp.sendReportingReply(message)
                    print("Sent through \(smtp.configuration.redacted) (tls \(smtp.configuration.tls.rawValue)). The server answered: \(reply)")
                } else {
                    let id = try await transport.send(message)
                    print("No KOBLING_SMTP_URL is set: the message <\(id)> was written to \(configuration.mailDirectory.path).")
                }
            } catch let error as MailDeliveryError {
                print("Not sent: \(error)")
                switch error.kind {
                case .setup: print("The mail setup needs mending (TLS, certificate or login); check KOBLING_SMTP_URL.")
                case .transient: print("This may pass later; check that the server is reachable.")
                case .permanent: print("The server refused this sender or recipient.")
                }
                throw ExitCode(2)
            }
        }
    }
}
