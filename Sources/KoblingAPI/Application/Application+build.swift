import Hummingbird
import Logging
import Storage

/// The router with every controller, middleware and the route table the spec is checked against.
public func buildRouter(_ services: AppServices) -> (router: Router<KoblingContext>, operations: [Operation]) {
    let router = Router(context: KoblingContext.self)
    let routes = APIRoutes(router: router, database: services.database)
    let table = OperationTable()
    router.add(middleware: ObservabilityMiddleware(metrics: RequestMetrics(registry: services.metrics)))
    router.add(middleware: ProblemMiddleware(operations: table))
    router.add(middleware: AuthenticationMiddleware(database: services.database))
    SystemController(services: services).addRoutes(to: routes)
    AuthController(services: services).addRoutes(to: routes)
    MeController(services: services).addRoutes(to: routes)
    AccountsController(services: services).addRoutes(to: routes)
    PeopleController(services: services).addRoutes(to: routes)
    OrganisationsController(services: services).addRoutes(to: routes)
    TagsController(services: services).addRoutes(to: routes)
    PitchesController(services: services).addRoutes(to: routes)
    MentoringController(services: services).addRoutes(to: routes)
    MatchRoundsController(services: services).addRoutes(to: routes)
    JobsController(services: services).addRoutes(to: routes)
    ProposalsController(services: services).addRoutes(to: routes)
    SessionsController(services: services).addRoutes(to: routes)
    OutboxController(services: services).addRoutes(to: routes)
    ListsController(services: services).addRoutes(to: routes)
    NewsletterController(services: services).addRoutes(to: routes)
    ArchiveController(services: services).addRoutes(to: routes)
    LinkPagesController(services: services).addRoutes(to: routes)
    table.set(routes.operations)
    return (router, routes.operations)
}

/// The application: HTTP server plus graceful shutdown on SIGTERM and SIGINT.
public func buildApplication(_ services: AppServices, logger: Logger) -> some ApplicationProtocol {
    let (router, _) = buildRouter(services)
    // A connection that sends nothing for this long (idle between requests, or stalled halfway
    // through one) is closed, so that slow clients cannot hold connections open.
    let idle = services.configuration.idleTimeout
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64((idle * 1000).rounded())))),
        configuration: .init(address: .hostname(services.configuration.host, port: services.configuration.port), serverName: "Kobling"),
        services: [services.outbox, services.jobs],
        logger: logger)
}
