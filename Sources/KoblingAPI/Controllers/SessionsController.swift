import Background
import Hummingbird
import KoblingCore
import Storage

/// Matchmaking sessions: an organiser places a published round's groups in the session's time
/// slots and at its tables; each person reads their own meetings.
struct SessionsController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.post, "/v1/match-rounds/{id}/schedule", .organiser, plan)
        routes.add(.get, "/v1/match-rounds/{id}/schedule", .organiser, show)
        routes.add(.post, "/v1/match-rounds/{id}/schedule/notify", .organiser, notify)
        routes.add(.get, "/v1/me/schedule", .member, mine)
    }

    /// `{"slots": [{"start", "end"}], "tables": n}`: plans the session again, in place of the one
    /// before, and answers it.
    @Sendable func plan(_ request: Request, context: KoblingContext) async throws -> Response {
        let roundId = try context.parameters.require("id")
        let session = try SessionRequest.parse(try await RequestBody.json(request, context: context))
        let schedule = try await SessionPlanner.plan(session, roundId: roundId, database: database, now: Timestamp.string(services.clock.now()))
        return try JSONResponse.make(schedule)
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        guard let document = try await database.scheduleDocument(roundId: try context.parameters.require("id")) else {
            throw KoblingError.notFound("The round's session is not planned yet.")
        }
        return JSONResponse.document(document)
    }

    /// Emails each person in the session their meetings; again after a new plan, only to those
    /// whose meetings changed. Answers `{"queued": n}`.
    @Sendable func notify(_ request: Request, context: KoblingContext) async throws -> Response {
        let notices = services.notices
        let queued = try await database.notifySession(roundId: try context.parameters.require("id")) { try notices.meetings($0) }
        if queued > 0 { services.outbox.wake() }
        return try JSONResponse.make(["queued": queued])
    }

    @Sendable func mine(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: [])
        let page = try query.page()
        guard let personId = try context.requireCaller().personId else { return JSONResponse.page(ofDocuments: DocumentList()) }
        return JSONResponse.page(ofDocuments: try await database.meetings(ofPerson: personId, page: page))
    }
}
