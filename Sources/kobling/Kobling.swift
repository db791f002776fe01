import ArgumentParser
import Background
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KoblingAPI
import KoblingCore
import Logging
import Mail
import Mailer
import Metrics
import Newsletter
import Prometheus
import Storage

@main
struct Kobling: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kobling",
        abstract: "Kobling: the matchmaking and community platform of a health-AI innovation hub.",
        subcommands: [Serve.self, Migrate.self, Seed.self, Organiser.self, Backup.self, Health.self, Match.self, MailCommand.self])
}

/// Options every command shares; flags win over `KOBLING_*` environment variables.
struct CommonOptions: ParsableArguments {
    @Option(help: "The SQLite database file (KOBLING_DATABASE; default DATA_DIR/kobling.sqlite).")
    var database: String?

    @Option(help: "The data folder for the database and written mail (KOBLING_DATA_DIR; default ./data).")
    var dataDir: String?

    func configuration() throws -> AppConfiguration {
        var configuration = try AppConfiguration.fromEnvironment()
        if let dataDir { configuration.dataDirectory = dataDir }
        if let database { configuration.databasePath = database }
        return configuration
    }

    /// SMTP through libcurl when KOBLING_SMTP_URL is set, else `.eml` files in the data folder.
    func mailTransport(_ configuration: AppConfiguration, logger: Logger) throws -> any MailTransport {
        let domain = configuration.sender.address.split(separator: "@").last.map(String.init) ?? "kobling.local"
        var signer: DKIMSigner?
        if let file = configuration.dkimKeyFile {
            do {
                let pem = try String(contentsOfFile: file, encoding: .utf8)
                signer = try DKIMSigner(domain: configuration.dkimDomain ?? domain, selector: configuration.dkimSelector, privateKeyPEM: pem)
                logger.info("mail is DKIM-signed", metadata: ["domain": "\(configuration.dkimDomain ?? domain)", "selector": "\(configuration.dkimSelector)"])
            } catch let error as DKIMSigner.Invalid {
                throw ValidationError("KOBLING_DKIM_KEY_FILE \(file): \(error.description)")
            } catch {
                throw ValidationError("KOBLING_DKIM_KEY_FILE \(file) cannot be read: \(error.localizedDescription)")
            }
        }
        guard let url = configuration.smtpURL else {
            logger.info("mail is written to files", metadata: ["folder": "\(configuration.mailDirectory.path)"])
            return FileMailTransport(directory: configuration.mailDirectory, domain: domain, signer: signer)
        }
        do {
            let smtp = try SMTPConfiguration(url: url, heloName: domain)
            logger.info("mail goes out by SMTP", metadata: ["server": "\(smtp.redacted)", "tls": "\(smtp.tls.rawValue)"])
            return SMTPTransport(configuration: smtp, messageIDDomain: domain, signer: signer)
        } catch let error as SMTPConfiguration.Invalid {
            throw ValidationError(error.description)
        }
    }

    /// Opens and migrates the database on a thread of its own: migrating is blocking work.
    func openDatabase(_ configuration: AppConfiguration) async throws -> AppDatabase {
        try await Thread.run(name: "kobling.open") {
            Result { try AppDatabase.open(path: configuration.resolvedDatabasePath, access: configuration.access) }
        }.get()
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database and serve the API.")

    /// glibc gives threads up to eight malloc arenas a core, and each keeps what it once held: the
    /// outbox's threads, new for each run of sends, made the server grow by a few MiB a send until
    /// all were in use. One arena a core keeps it flat (measured in sends of 5,000: a peak of 59 to
    /// 62 MiB over eight sends, against 59 rising to 70 over fourteen without).
    ///
    /// And glibc gives memory back to the system as soon as 128 KiB are free at the top of an
    /// arena: under concurrent requests the top rises and falls with every response, so the
    /// server spent its time in brk, page faults and the TLB flushes they cause on every core (a
    /// search answered 9,500 requests a second, 16,500 with the threshold at 16 MiB). Memory past
    /// 16 MiB free is still given back, so the server stays as level as before.
    ///
    /// MALLOC_ARENA_MAX and MALLOC_TRIM_THRESHOLD_, when set, have the last word.
    static func tuneMalloc() {
        #if canImport(Glibc)
        // mallopt is glibc's own and not in Swift's Glibc module; M_ARENA_MAX is -8 and
        // M_TRIM_THRESHOLD -1 in <malloc.h>.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        let environment = ProcessInfo.processInfo.environment
        if environment["MALLOC_ARENA_MAX"] == nil { _ = mallopt(-8, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount))) }
        if environment["MALLOC_TRIM_THRESHOLD_"] == nil { _ = mallopt(-1, 16 << 20) }
        #endif
    }

    @OptionGroup var common: CommonOptions
    @Option(help: "The address to listen on (KOBLING_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "The port to listen on (KOBLING_PORT; default 8080).") var port: Int?

    func run() async throws {
        Self.tuneMalloc()
        var configuration = try common.configuration()
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        let logLevel = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "kobling")
        let database = try await common.openDatabase(configuration)
        logger.info("database ready", metadata: ["path": "\(configuration.resolvedDatabasePath)"])
        let mail = try common.mailTransport(configuration, logger: logger)
        var outbox = OutboxWorker.Settings()
        outbox.rate = configuration.mailRate
        outbox.lateSendGrace = configuration.lateSendGrace
        // Reads the notice templates from disk: on a thread of its own.
        let (settings, outboxSettings) = (configuration, outbox)
        let services = try await Thread.run(name: "kobling.start") {
            Result { try AppServices(configuration: settings, database: database, mail: mail, metrics: registry, outboxSettings: outboxSettings) }
        }.get()
        // The archive's pages carry links to this server: rendered again in case its address changed.
        try await database.refreshArchive(render: IssueTemplates(configuration: configuration).archive)
        try await buildApplication(services, logger: logger).runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring the database to the current schema.")
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let database = try await common.openDatabase(try common.configuration())
        let applied = try await database.appliedMigrations()
        print("Database is up to date (\(applied.count) migrations applied).")
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the demo community; running it twice changes nothing.")
    @OptionGroup var common: CommonOptions
    @Option(help: "The folder with tags.json, organisations.json, people.json, newsletter.json, pitches.json, mentoring.json and rounds.json.") var from = "seed"

    func run() async throws {
        let configuration = try common.configuration()
        let database = try await common.openDatabase(configuration)
        let data = try SeedFiles.load(from: URL(fileURLWithPath: from))
        let report = try await database.seed(data, renderArchive: IssueTemplates(configuration: configuration).archive)
        // The seeded rounds' runs, so that the demo shows their groups at once.
        var settings = JobRunner.Settings()
        settings.runsInBackground = false
        let runner = JobRunner(database: database, handlers: [RoundRunHandler(database: database)], settings: settings)
        var ran = try await runner.runDue()
        // A server on the same database may have taken a run: its outcome is waited for, so that
        // the seeded story goes on from it.
        let rounds = data.rounds.map(\.id)
        for _ in 0..<600 where try await database.activeRuns(ofRounds: rounds) > 0 {
            try await Task.sleep(for: .milliseconds(100))
            ran += try await runner.runDue()
        }
        let outcomes = try await database.seedRoundOutcomes(data)
        // Their matchmaking sessions, planned once.
        let now = Date()
        var sessions = 0
        for round in data.rounds {
            guard let session = round.session, try await database.scheduleDocument(roundId: round.id) == nil,
                  try await database.round(id: round.id).status == .published else { continue }
            _ = try await SessionPlanner.plan(session.request(now: now), roundId: round.id, database: database, now: Timestamp.string(now))
            sessions += 1
        }
        let skipped = outcomes.skipped > 0 ? " (\(outcomes.skipped) about pairs the run did not propose, skipped)" : ""
        print("Seeded from \(from): \(report); \(ran) background jobs run; \(outcomes.answers) answers to proposals\(skipped); \(sessions) matchmaking sessions planned.")
    }
}

enum SeedFiles {
    static func load(from folder: URL) throws -> SeedData {
        func read<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
            let url = folder.appendingPathComponent(name)
            do {
                return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
            } catch {
                throw ValidationError("Cannot read \(url.path): \(error)")
            }
        }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) }
        let hasNewsletter = FileManager.default.fileExists(atPath: folder.appendingPathComponent("newsletter.json").path)
        let newsletter = hasNewsletter ? try read("newsletter.json", as: SeedData.SeedNewsletter.self) : nil
        let hasPitches = FileManager.default.fileExists(atPath: folder.appendingPathComponent("pitches.json").path)
        // Seeded issues pass the same check as issues written through the API.
        for issue in newsletter?.issues ?? [] {
            do {
                try IssueTemplate.validate(IssueContent(listName: "", subject: issue.subject, preheader: issue.preheader, body: issue.body))
            } catch IssueTemplate.Invalid.template(let field, let detail) {
                throw ValidationError("newsletter.json, issue \(issue.id), \(field): \(detail)")
            }
        }
        return SeedData(
            tags: try read("tags.json", as: [Tag].self),
            organisations: try read("organisations.json", as: [SeedData.SeedOrganisation].self),
            people: try read("people.json", as: [SeedData.SeedPerson].self),
            newsletter: newsletter,
            pitches: hasPitches ? try read("pitches.json", as: [SeedData.SeedPitch].self) : [],
            rounds: exists("rounds.json") ? try read("rounds.json", as: [SeedData.SeedRound].self) : [],
            mentoring: exists("mentoring.json") ? try read("mentoring.json", as: [SeedData.SeedMentoringRequest].self) : [])
    }
}

struct Organiser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage organisers.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an organiser account with a one-time password, or make an existing account an organiser.")
        @OptionGroup var common: CommonOptions
        @Option(help: "The organiser's email address.") var email: String
        @Option(help: "The name on the organiser's profile.") var name = "Organiser"

        func run() async throws {
            let configuration = try common.configuration()
            guard let address = EmailAddress(email) else { throw ValidationError("\"\(email)\" is not an email address.") }
            let database = try await common.openDatabase(configuration)
            let password = SecretToken.generate()
            let hash = try await PasswordHasher(cost: configuration.bcryptCost).hash(password)
            if try await database.ensureOrganiser(email: address, passwordHash: hash, name: name) {
                print("Created organiser \(address). One-time password (change it after logging in):")
                print(password)
            } else {
                print("\(address) had an account already and is now an organiser; its password is unchanged.")
            }
        }
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a consistent copy of the live database to a new file.")
    @OptionGroup var common: CommonOptions
    @Argument(help: "The file to write; it must not exist.") var path: String

    func run() async throws {
        let database = try await common.openDatabase(try common.configuration())
        try await database.backup(to: path)
        print("Backed up to \(path).")
    }
}
