import Hummingbird
import KoblingCore
import Storage

/// Startups' requests for a mentor: asked by the startup (or an organiser on its behalf), seen by
/// members while open, matched in mentoring rounds like pitches are.
struct MentoringController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/mentoring-requests", .member, list)
        routes.add(.post, "/v1/mentoring-requests", .member, idempotent: true, create)
        routes.add(.get, "/v1/mentoring-requests/{id}", .member, show)
        routes.add(.patch, "/v1/mentoring-requests/{id}", .author, update)
        for action in MentoringAction.allCases {
            routes.add(.post, "/v1/mentoring-requests/{id}/\(action.rawValue)", .author) { request, context in
                // No body, or an empty object.
                if let body = try await RequestBody.optionalJSON(request, context: context) { try BodyFields(body, allowed: []).finish() }
                let request = try await database.act(
                    onMentoringRequest: try context.parameters.require("id"), action, expectedVersion: try EntityTag.expectedVersion(request))
                return try respond(request, status: .ok)
            }
        }
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["status", "requester"])
        let status = query.enumeration("status", MentoringStatus.self)
        let requester = query.string("requester")
        let page = try query.page()
        let list = try await database.mentoringRequests(status: status, requesterId: requester, viewer: Viewer(context.caller), page: page)
        return try JSONResponse.make(ListBody(page: list))
    }

    /// A member asks as themself; an organiser may ask on a startup's behalf (`requesterId`).
    @Sendable func create(_ request: Request, context: KoblingContext) async throws -> Response {
        var body = try await RequestBody.json(request, context: context)
        let requesterId = try PitchesController.writer(of: &body, field: "requesterId", caller: try context.requireCaller())
        return try respond(try await database.createMentoringRequest(body, requesterId: requesterId), status: .created)
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        try respond(try await database.mentoringRequest(id: try context.parameters.require("id"), viewer: Viewer(context.caller)), status: .ok)
    }

    @Sendable func update(_ request: Request, context: KoblingContext) async throws -> Response {
        let body = try await RequestBody.json(request, context: context, mergePatch: true)
        let updated = try await database.updateMentoringRequest(
            id: try context.parameters.require("id"), expectedVersion: try EntityTag.expectedVersion(request), body: body)
        return try respond(updated, status: .ok)
    }

    private func respond(_ request: MentoringRequest, status: HTTPResponse.Status) throws -> Response {
        try JSONResponse.make(request, status: status, headers: [.eTag: EntityTag.make(version: request.version)])
    }
}
