import Hummingbird
import KoblingCore
import Storage

/// Hospital departments, startups, research groups, companies and public bodies, and who is in them.
struct OrganisationsController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/organisations", .anyone, list)
        routes.add(.post, "/v1/organisations", .member, idempotent: true, create)
        routes.add(.get, "/v1/organisations/{id}", .anyone, show)
        routes.add(.patch, "/v1/organisations/{id}", .orgAdmin, update)
        routes.add(.delete, "/v1/organisations/{id}", .organiser, delete)
        routes.add(.get, "/v1/organisations/{id}/members", .anyone, members)
        routes.add(.put, "/v1/organisations/{id}/members/{personId}", .orgAdmin, setMember)
        routes.add(.delete, "/v1/organisations/{id}/members/{personId}", .orgAdmin, removeMember)
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["kind", "tag", "region", "q"])
        let filter = OrganisationFilter(
            kind: query.enumeration("kind", OrganisationKind.self), tag: query.string("tag"), region: query.string("region"), text: query.string("q"))
        let page = try query.page()
        return JSONResponse.page(ofDocuments: try await database.organisations(filter, page: page))
    }

    @Sendable func create(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        let organisation = try await database.createOrganisation(try await RequestBody.json(request, context: context), adminPersonId: caller.personId)
        return try respond(organisation, status: .created)
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        guard let organisation = try await database.organisationDocument(id: try context.parameters.require("id")) else {
            throw KoblingError.notFound("No such organisation.")
        }
        return JSONResponse.document(organisation)
    }

    @Sendable func update(_ request: Request, context: KoblingContext) async throws -> Response {
        let body = try await RequestBody.json(request, context: context, mergePatch: true)
        let organisation = try await database.updateOrganisation(
            id: try context.parameters.require("id"), expectedVersion: try EntityTag.expectedVersion(request), body: body)
        return try respond(organisation, status: .ok)
    }

    @Sendable func delete(_ request: Request, context: KoblingContext) async throws -> Response {
        try await database.deleteOrganisation(id: try context.parameters.require("id"))
        return JSONResponse.noContent()
    }

    @Sendable func members(_ request: Request, context: KoblingContext) async throws -> Response {
        JSONResponse.items(ofDocuments: try await database.members(organisationId: try context.parameters.require("id")))
    }

    @Sendable func setMember(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["role", "title"])
        let role = fields.required("role", oneOf: MembershipRole.self)
        let title = fields.optional("title", maxLength: 200)
        try fields.finish()
        guard let role else { throw KoblingError.invalid([]) }
        let personId = try context.parameters.require("personId")
        let (membership, created) = try await database.setMember(
            organisationId: try context.parameters.require("id"), personId: personId, role: role, title: title)
        return try JSONResponse.make(membership, status: created ? .created : .ok)
    }

    @Sendable func removeMember(_ request: Request, context: KoblingContext) async throws -> Response {
        try await database.removeMember(organisationId: try context.parameters.require("id"), personId: try context.parameters.require("personId"))
        return JSONResponse.noContent()
    }

    private func respond(_ organisation: Organisation, status: HTTPResponse.Status) throws -> Response {
        try JSONResponse.make(organisation, status: status, headers: [.eTag: EntityTag.make(version: organisation.version)])
    }
}
