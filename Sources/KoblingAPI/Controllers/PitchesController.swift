import Hummingbird
import KoblingCore
import Storage

/// Clinicians' pitches: written as drafts, submitted, reviewed by organisers, and followed by the
/// members who say they are interested and the people their authors shortlist.
struct PitchesController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/pitches", .anyone, list)
        routes.add(.post, "/v1/pitches", .member, idempotent: true, create)
        routes.add(.get, "/v1/pitches/{id}", .anyone, show)
        routes.add(.patch, "/v1/pitches/{id}", .author, update)
        routes.add(.delete, "/v1/pitches/{id}", .author, delete)
        for action in PitchAction.allCases {
            routes.add(.post, "/v1/pitches/{id}/\(action.rawValue)", action.isReview ? .organiser : .author) { request, context in
                try await act(action, request: request, context: context)
            }
        }
        routes.add(.get, "/v1/pitches/{id}/interest", .author, interested)
        routes.add(.put, "/v1/pitches/{id}/interest", .member, declareInterest)
        routes.add(.delete, "/v1/pitches/{id}/interest", .member, withdrawInterest)
        routes.add(.get, "/v1/pitches/{id}/shortlist", .author, shortlist)
        routes.add(.put, "/v1/pitches/{id}/shortlist/{personId}", .author, addToShortlist)
        routes.add(.delete, "/v1/pitches/{id}/shortlist/{personId}", .author, removeFromShortlist)
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["status", "tag", "role", "language", "author", "organisation", "q"])
        let filter = PitchFilter(
            status: query.enumeration("status", PitchStatus.self), tag: query.string("tag"), role: query.enumeration("role", PersonRole.self),
            language: query.language("language"), authorId: query.string("author"), organisationId: query.string("organisation"),
            text: query.string("q"))
        let page = try query.page()
        return JSONResponse.page(ofDocuments: try await database.pitches(filter, viewer: Viewer(context.caller), page: page))
    }

    /// A member pitches as themself; an organiser may pitch on a clinician's behalf (`authorId`).
    @Sendable func create(_ request: Request, context: KoblingContext) async throws -> Response {
        var body = try await RequestBody.json(request, context: context)
        let authorId = try Self.writer(of: &body, field: "authorId", caller: try context.requireCaller())
        return try respond(try await database.createPitch(body, authorId: authorId), status: .created)
    }

    /// Who writes what `body` creates: the caller's own profile, or, for an organiser writing on
    /// someone's behalf, the person `field` names (taken out of the body).
    static func writer(of body: inout JSONValue, field: String, caller: Caller) throws -> String {
        var writer = caller.personId
        if case .object(var fields) = body, let named = fields.removeValue(forKey: field) {
            guard caller.isOrganiser else { throw KoblingError.forbidden("Only organisers may write on someone's behalf.") }
            guard case .string(let id) = named else { throw KoblingError.invalid("/\(field)", "Expected a person's id.") }
            writer = id
            body = .object(fields)
        }
        guard let writer else { throw KoblingError.conflict("Your account has no profile to write from.") }
        return writer
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        guard let document = try await database.pitchDocument(id: try context.parameters.require("id"), viewer: Viewer(context.caller)) else {
            throw KoblingError.notFound("No such pitch.")
        }
        return JSONResponse.document(document)
    }

    @Sendable func update(_ request: Request, context: KoblingContext) async throws -> Response {
        let body = try await RequestBody.json(request, context: context, mergePatch: true)
        let pitch = try await database.updatePitch(
            id: try context.parameters.require("id"), expectedVersion: try EntityTag.expectedVersion(request), body: body,
            byOrganiser: context.caller?.isOrganiser ?? false)
        return try respond(pitch, status: .ok)
    }

    @Sendable func delete(_ request: Request, context: KoblingContext) async throws -> Response {
        try await database.deletePitch(id: try context.parameters.require("id"))
        return JSONResponse.noContent()
    }

    /// An action of the life cycle; returning takes a `reason`, the others no body.
    func act(_ action: PitchAction, request: Request, context: KoblingContext) async throws -> Response {
        var reason: String?
        if let body = try await RequestBody.optionalJSON(request, context: context) {
            var fields = try BodyFields(body, allowed: action == .return ? ["reason"] : [])
            reason = action == .return ? fields.optional("reason", maxLength: 2_000) : nil
            try fields.finish()
        }
        let pitch = try await database.act(
            on: try context.parameters.require("id"), action, reason: reason, expectedVersion: try EntityTag.expectedVersion(request))
        return try respond(pitch, status: .ok)
    }

    @Sendable func interested(_ request: Request, context: KoblingContext) async throws -> Response {
        try people(try await database.pitchPeople(pitchId: try context.parameters.require("id"), shortlist: false))
    }

    @Sendable func declareInterest(_ request: Request, context: KoblingContext) async throws -> Response {
        try await setInterest(true, context: context)
    }

    @Sendable func withdrawInterest(_ request: Request, context: KoblingContext) async throws -> Response {
        try await setInterest(false, context: context)
    }

    private func setInterest(_ interested: Bool, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard let personId = caller.personId else { throw KoblingError.conflict("Your account has no profile.") }
        try await database.setInterest(
            pitchId: try context.parameters.require("id"), personId: personId, viewer: Viewer(caller), interested: interested)
        return JSONResponse.noContent()
    }

    @Sendable func shortlist(_ request: Request, context: KoblingContext) async throws -> Response {
        try people(try await database.pitchPeople(pitchId: try context.parameters.require("id"), shortlist: true))
    }

    @Sendable func addToShortlist(_ request: Request, context: KoblingContext) async throws -> Response {
        try await database.setShortlisted(
            pitchId: try context.parameters.require("id"), personId: try context.parameters.require("personId"), shortlisted: true)
        return JSONResponse.noContent()
    }

    @Sendable func removeFromShortlist(_ request: Request, context: KoblingContext) async throws -> Response {
        try await database.setShortlisted(
            pitchId: try context.parameters.require("id"), personId: try context.parameters.require("personId"), shortlisted: false)
        return JSONResponse.noContent()
    }

    private func people(_ people: [PitchPerson]) throws -> Response {
        try JSONResponse.make(ListBody(page: Page(items: people, nextCursor: nil)))
    }

    private func respond(_ pitch: Pitch, status: HTTPResponse.Status) throws -> Response {
        try JSONResponse.make(pitch, status: status, headers: [.eTag: EntityTag.make(version: pitch.version)])
    }
}
