import Background
import Foundation
import KoblingCore
import Mail
import Notices
import Prometheus
import Storage

/// What the HTTP layer runs on: the database, the mail transport, the clock and the settings.
public struct AppServices: Sendable {
    public let configuration: AppConfiguration
    public let database: AppDatabase
    public let mail: any MailTransport
    /// Sends what the outbox holds; runs beside the HTTP server.
    public let outbox: OutboxWorker
    /// Runs the durable jobs (round runs); beside the HTTP server too.
    public let jobs: JobRunner
    /// Newsletter issues as email.
    let newsletter: NewsletterMail
    /// Every other email, from its templates in the recipient's language.
    let notices: NoticeMail
    public let clock: Clock
    public let metrics: PrometheusCollectorRegistry
    /// Threads for CPU work that would hold up a cooperative thread: password hashes, large parses.
    let work: WorkerPool
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let databaseMetrics: DatabaseMetrics

    public init(
        configuration: AppConfiguration, database: AppDatabase, mail: any MailTransport, clock: Clock = .system,
        metrics: PrometheusCollectorRegistry = .init(), outboxSettings: OutboxWorker.Settings = .init(),
        jobSettings: JobRunner.Settings = .init()
    ) throws {
        notices = try NoticeMail(configuration: configuration)
        let newsletter = NewsletterMail(database: database, configuration: configuration)
        self.newsletter = newsletter
        outbox = OutboxWorker(database: database, transport: mail, settings: outboxSettings, renderArchive: newsletter.templates.archive) { delivery, recipient in
            try newsletter.compose(delivery, to: recipient)
        }
        let (notices, outbox) = (self.notices, self.outbox)
        jobs = JobRunner(database: database, handlers: [
            RoundRunHandler(database: database),
            RoundDeadlineHandler(database: database),
            RoundReminderHandler(database: database, compose: { try notices.digest($0, reminder: true) }, queued: { outbox.wake() }),
        ], settings: jobSettings)
        self.configuration = configuration
        self.database = database
        self.mail = mail
        self.clock = clock
        self.metrics = metrics
        let access = configuration.access
        work = WorkerPool(
            name: "kobling.work",
            limits: .init(threads: ProcessInfo.processInfo.activeProcessorCount, queueLimit: access.queueLimit, maxWait: access.maxWait))
        hasher = PasswordHasher(cost: configuration.bcryptCost, work: work)
        databaseMetrics = DatabaseMetrics(registry: metrics)
        throttle = LoginThrottle(limit: configuration.loginFailureLimit, window: configuration.loginWindow, clock: clock)
    }

    /// The sender of every email.
    var sender: Mailbox { configuration.sender }
}
