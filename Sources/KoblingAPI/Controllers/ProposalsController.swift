import Hummingbird
import KoblingCore
import Storage

/// A published round's proposals as the people in them see them, their answers, and the
/// collaborations that both sides' yes began. A member sees only their own; organisers see all.
struct ProposalsController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/me/proposals", .member, mine)
        routes.add(.get, "/v1/proposals/{id}", .member, show)
        routes.add(.post, "/v1/proposals/{id}/answer", .member, answer)
        routes.add(.get, "/v1/collaborations", .member, collaborations)
        routes.add(.get, "/v1/collaborations/{id}", .member, collaboration)
        routes.add(.patch, "/v1/collaborations/{id}", .member, updateCollaboration)
        routes.add(.post, "/v1/collaborations/{id}/meeting", .member, meeting)
    }

    @Sendable func mine(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: [])
        let page = try query.page()
        guard let personId = try context.requireCaller().personId else { return JSONResponse.page(ofDocuments: DocumentList()) }
        return JSONResponse.page(ofDocuments: try await database.proposals(ofPerson: personId, page: page))
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        return try JSONResponse.make(try await database.proposal(
            try context.parameters.require("id"), viewer: caller.personId, organiser: caller.isOrganiser))
    }

    /// `{"interested": true|false, "note": …}`, by the person proposed or the pitch's author.
    @Sendable func answer(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["interested", "note"])
        let interested = fields.requiredBool("interested")
        let note = fields.optional("note", maxLength: 2_000)
        try fields.finish()
        guard let personId = caller.personId else { throw KoblingError.notFound("No such proposal.") }
        let notices = services.notices
        let proposal = try await database.answer(
            proposalId: try context.parameters.require("id"), personId: personId, interested: interested ?? false, note: note
        ) { try notices.introduction($0) }
        if proposal.status == .introduced { services.outbox.wake() }
        return try JSONResponse.make(proposal)
    }

    @Sendable func collaborations(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        var query = Query(request, allowed: [])
        let page = try query.page()
        if !caller.isOrganiser && caller.personId == nil { return JSONResponse.page(ofDocuments: DocumentList()) }
        return JSONResponse.page(ofDocuments: try await database.collaborations(ofPerson: caller.isOrganiser ? nil : caller.personId, page: page))
    }

    @Sendable func collaboration(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        return try respond(try await database.collaboration(try context.parameters.require("id"), viewer: caller.personId, organiser: caller.isOrganiser))
    }

    @Sendable func updateCollaboration(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await RequestBody.json(request, context: context, mergePatch: true)
        return try respond(try await database.updateCollaboration(
            try context.parameters.require("id"), viewer: caller.personId, organiser: caller.isOrganiser,
            expectedVersion: try EntityTag.expectedVersion(request), body: body))
    }

    /// `{"outcome": "held" | "no-show"}`, by either side.
    @Sendable func meeting(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["outcome"])
        let outcome = fields.required("outcome", oneOf: MeetingOutcome.self)
        try fields.finish()
        guard let personId = caller.personId, let outcome else { throw KoblingError.notFound("No such collaboration.") }
        return try respond(try await database.recordMeeting(try context.parameters.require("id"), personId: personId, outcome: outcome))
    }

    private func respond(_ collaboration: Collaboration) throws -> Response {
        try JSONResponse.make(collaboration, headers: [.eTag: EntityTag.make(version: collaboration.version)])
    }
}
