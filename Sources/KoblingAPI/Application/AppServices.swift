import Foundation
import KoblingCore
import Mail
import Prometheus
import Storage

/// What the HTTP layer runs on: the database, the mail transport, the clock and the settings.
public struct AppServices: Sendable {
    public let configuration: AppConfiguration
    public let database: AppDatabase
    public let mail: any MailTransport
    public let clock: Clock
    public let metrics: PrometheusCollectorRegistry
    let hasher: PasswordHasher
    let throttle: LoginThrottle

    public init(configuration: AppConfiguration, database: AppDatabase, mail: any MailTransport, clock: Clock = .system, metrics: PrometheusCollectorRegistry = .init()) {
        self.configuration = configuration
        self.database = database
        self.mail = mail
        self.clock = clock
        self.metrics = metrics
        hasher = PasswordHasher(cost: configuration.bcryptCost)
        throttle = LoginThrottle(limit: configuration.loginFailureLimit, window: configuration.loginWindow, clock: clock)
    }

    /// The sender of every email, from `mailFrom` ("Name <address>" or a bare address).
    var sender: Mailbox {
        let raw = configuration.mailFrom
        if let open = raw.lastIndex(of: "<"), let close = raw.lastIndex(of: ">"), open < close {
            let name = raw[..<open].trimmingCharacters(in: .whitespaces)
            return Mailbox(String(raw[raw.index(after: open)..<close]), name: name.isEmpty ? nil : name)
        }
        return Mailbox(raw)
    }
}
