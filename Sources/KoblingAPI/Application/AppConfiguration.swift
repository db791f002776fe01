import Foundation
import KoblingCore
import Mail
import Logging
import Storage

/// Everything the server is configured with. Each value has a default that runs on a fresh
/// machine; the `kobling` command fills it from flags and `KOBLING_*` environment variables.
public struct AppConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The data folder: the database lives here unless placed elsewhere, and file mail goes here.
    public var dataDirectory = "./data"
    public var databasePath: String?
    /// Where people open links sent by email (password reset).
    public var publicBaseURL = "http://127.0.0.1:8080"
    public var mailFrom = "Kobling <kobling@localhost>"
    /// An SMTP server to send through (`smtp://user:pass@host:587`); without it mail is written
    /// as files under the data folder.
    public var smtpURL: String?
    /// Messages a second the outbox sends at most.
    public var mailRate = 10.0
    /// How late a scheduled newsletter issue may still start after downtime; later, it is held
    /// for an organiser.
    public var lateSendGrace: TimeInterval = 30 * 60
    /// DKIM signing: a PEM file with the RSA private key; without it mail goes out unsigned.
    public var dkimKeyFile: String?
    /// The DKIM selector (the DNS name is SELECTOR._domainkey.DOMAIN).
    public var dkimSelector = "kobling"
    /// The signing domain; the sender's domain when not set.
    public var dkimDomain: String?
    public var logLevel: Logger.Level = .info
    /// bcrypt's work factor; lowered only by tests.
    public var bcryptCost: UInt8 = 12
    public var sessionLifetime: TimeInterval = 30 * 24 * 3600
    public var passwordResetLifetime: TimeInterval = 3600
    /// How long a link that verifies an email address works.
    public var verificationLifetime: TimeInterval = 48 * 3600
    /// The language of emails to someone who has not chosen one.
    public var defaultLanguage: PreferredLanguage = .da
    /// A folder of notice templates that replace the shipped ones of the same name.
    public var templatesDirectory: String?
    /// Failed log-ins allowed for one address (or client) in `loginWindow` before 429.
    public var loginFailureLimit = 5
    public var loginWindow: TimeInterval = 15 * 60
    /// How long a connection may send nothing (between requests, or halfway through one) before
    /// it is closed.
    public var idleTimeout: TimeInterval = 20
    /// Sign-ups one client address may make in an hour (a hackathon on one network needs a few dozen).
    public var signupsPerClientPerHour = 30
    /// Read connections, and how many requests may wait for the database (and for password
    /// hashing) and for how long before they are answered 503.
    public var access = AppDatabase.Access()

    public init() {}

    public var resolvedDatabasePath: String {
        databasePath ?? URL(fileURLWithPath: dataDirectory).appendingPathComponent("kobling.sqlite").path
    }

    /// A link people open from an email: the public base URL and `path` ("/reset-password?token=…").
    public func publicLink(_ path: String) -> String {
        (publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL) + path
    }

    /// The sender of every email, from `mailFrom` ("Name <address>" or a bare address).
    public var sender: Mailbox {
        let raw = mailFrom
        if let open = raw.lastIndex(of: "<"), let close = raw.lastIndex(of: ">"), open < close {
            let name = raw[..<open].trimmingCharacters(in: .whitespaces)
            return Mailbox(String(raw[raw.index(after: open)..<close]), name: name.isEmpty ? nil : name)
        }
        return Mailbox(raw)
    }

    public var mailDirectory: URL {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("mail")
    }

    /// Reads `KOBLING_*` variables over the defaults.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfiguration {
        var configuration = AppConfiguration()
        if let host = environment["KOBLING_HOST"] { configuration.host = host }
        if let port = environment["KOBLING_PORT"] {
            guard let value = Int(port), (0...65535).contains(value) else { throw ConfigurationError("KOBLING_PORT must be a port number, not \"\(port)\".") }
            configuration.port = value
        }
        if let directory = environment["KOBLING_DATA_DIR"] { configuration.dataDirectory = directory }
        if let path = environment["KOBLING_DATABASE"] { configuration.databasePath = path }
        if let url = environment["KOBLING_PUBLIC_URL"] { configuration.publicBaseURL = url }
        if let from = environment["KOBLING_MAIL_FROM"] { configuration.mailFrom = from }
        if let url = environment["KOBLING_SMTP_URL"], !url.isEmpty { configuration.smtpURL = url }
        if let rate = environment["KOBLING_MAIL_RATE"] {
            guard let value = Double(rate), value > 0, value <= 100_000 else {
                throw ConfigurationError("KOBLING_MAIL_RATE must be a number of messages a second from 0 to 100000, not \"\(rate)\".")
            }
            configuration.mailRate = value
        }
        if let minutes = environment["KOBLING_LATE_SEND_MINUTES"] {
            guard let value = Double(minutes), value >= 0, value <= 10_080 else {
                throw ConfigurationError("KOBLING_LATE_SEND_MINUTES must be a number of minutes from 0 to 10080, not \"\(minutes)\".")
            }
            configuration.lateSendGrace = value * 60
        }
        if let language = environment["KOBLING_DEFAULT_LANGUAGE"] {
            guard let value = PreferredLanguage(rawValue: language) else {
                throw ConfigurationError("KOBLING_DEFAULT_LANGUAGE must be one of \(PreferredLanguage.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(language)\".")
            }
            configuration.defaultLanguage = value
        }
        if let folder = environment["KOBLING_TEMPLATES_DIR"], !folder.isEmpty { configuration.templatesDirectory = folder }
        if let file = environment["KOBLING_DKIM_KEY_FILE"], !file.isEmpty { configuration.dkimKeyFile = file }
        if let selector = environment["KOBLING_DKIM_SELECTOR"], !selector.isEmpty { configuration.dkimSelector = selector }
        if let domain = environment["KOBLING_DKIM_DOMAIN"], !domain.isEmpty { configuration.dkimDomain = domain }
        if let level = environment["KOBLING_LOG_LEVEL"] {
            guard let value = Logger.Level(rawValue: level) else { throw ConfigurationError("KOBLING_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical.") }
            configuration.logLevel = value
        }
        if let days = environment["KOBLING_SESSION_DAYS"] {
            guard let value = Double(days), value > 0 else { throw ConfigurationError("KOBLING_SESSION_DAYS must be a positive number.") }
            configuration.sessionLifetime = value * 24 * 3600
        }
        if let idle = environment["KOBLING_IDLE_TIMEOUT_SECONDS"] {
            guard let value = Double(idle), value >= 0.1, value <= 3600 else {
                throw ConfigurationError("KOBLING_IDLE_TIMEOUT_SECONDS must be a number of seconds from 0.1 to 3600, not \"\(idle)\".")
            }
            configuration.idleTimeout = value
        }
        if let signups = environment["KOBLING_SIGNUPS_PER_HOUR"] {
            guard let value = Int(signups), (1...100_000).contains(value) else {
                throw ConfigurationError("KOBLING_SIGNUPS_PER_HOUR must be a number of sign-ups from 1 to 100000, not \"\(signups)\".")
            }
            configuration.signupsPerClientPerHour = value
        }
        if let readers = environment["KOBLING_DB_READERS"] {
            guard let value = Int(readers), (1...64).contains(value) else {
                throw ConfigurationError("KOBLING_DB_READERS must be a number of connections from 1 to 64, not \"\(readers)\".")
            }
            configuration.access.readers = value
        }
        if let limit = environment["KOBLING_QUEUE_LIMIT"] {
            guard let value = Int(limit), (0...100_000).contains(value) else {
                throw ConfigurationError("KOBLING_QUEUE_LIMIT must be a number of requests from 0 to 100000, not \"\(limit)\".")
            }
            configuration.access.queueLimit = value
        }
        if let wait = environment["KOBLING_QUEUE_WAIT_SECONDS"] {
            guard let value = Double(wait), value >= 0.01, value <= 600 else {
                throw ConfigurationError("KOBLING_QUEUE_WAIT_SECONDS must be a number of seconds from 0.01 to 600, not \"\(wait)\".")
            }
            configuration.access.maxWait = .milliseconds(Int((value * 1000).rounded()))
        }
        return configuration
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
