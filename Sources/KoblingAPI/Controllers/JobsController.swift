import Hummingbird
import KoblingCore
import Storage

/// The background jobs, for organisers: what is queued, running, done or failed, and why.
struct JobsController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/jobs", .organiser, list)
        routes.add(.get, "/v1/jobs/{id}", .organiser, show)
        routes.add(.post, "/v1/jobs/{id}/retry", .organiser, retry)
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["status", "kind"])
        let status = query.enumeration("status", JobStatus.self)
        let kind = query.string("kind")
        let page = try query.page()
        return try JSONResponse.make(ListBody(page: try await database.jobs(status: status, kind: kind, page: page)))
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        try JSONResponse.make(try await database.job(try context.parameters.require("id")))
    }

    /// A failed job, queued again with its attempts counted afresh.
    @Sendable func retry(_ request: Request, context: KoblingContext) async throws -> Response {
        let job = try await database.retryJob(try context.parameters.require("id"))
        services.jobs.wake()
        return try JSONResponse.make(job)
    }
}
