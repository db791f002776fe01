import Hummingbird
import KoblingCore
import Storage

/// The people directory and profiles.
struct PeopleController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/people", .anyone, list)
        routes.add(.post, "/v1/people", .organiser, idempotent: true, create)
        routes.add(.get, "/v1/people/{id}", .anyone, show)
        routes.add(.patch, "/v1/people/{id}", .owner, update)
        routes.add(.delete, "/v1/people/{id}", .organiser, delete)
        routes.add(.get, "/v1/people/{id}/memberships", .anyone, memberships)
        routes.add(.get, "/v1/people/{id}/conflicts", .owner, conflicts)
        routes.add(.put, "/v1/people/{id}/conflicts/{target}", .owner) { _, context in try await setConflict(true, context: context) }
        routes.add(.delete, "/v1/people/{id}/conflicts/{target}", .owner) { _, context in try await setConflict(false, context: context) }
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["role", "tag", "language", "region", "q", "matchable"])
        let filter = PeopleFilter(
            role: query.enumeration("role", PersonRole.self), tag: query.string("tag"), language: query.language("language"),
            region: query.string("region"), text: query.string("q"), matchable: query.bool("matchable"))
        let page = try query.page()
        if filter.matchable != nil, context.caller?.isOrganiser != true {
            throw context.caller == nil
                ? KoblingError.unauthenticated("Sign in as an organiser to filter on consent to be matched.")
                : KoblingError.forbidden("Only organisers may filter on consent to be matched.")
        }
        return JSONResponse.page(ofDocuments: try await database.people(filter, viewer: Viewer(context.caller), page: page))
    }

    @Sendable func create(_ request: Request, context: KoblingContext) async throws -> Response {
        let person = try await database.createPerson(try await RequestBody.json(request, context: context))
        return full(person, status: .created)
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        try await respond(id: try context.parameters.require("id"), context: context, status: .ok)
    }

    @Sendable func update(_ request: Request, context: KoblingContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await RequestBody.json(request, context: context, mergePatch: true)
        let expected = try EntityTag.expectedVersion(request)
        let now = Timestamp.string(services.clock.now())
        let person = try await database.updatePerson(id: id, expectedVersion: expected) { person in
            try PersonChanges.apply(body, to: person, now: now)
        }
        return full(person, status: .ok)
    }

    @Sendable func delete(_ request: Request, context: KoblingContext) async throws -> Response {
        try await database.deletePerson(id: try context.parameters.require("id"))
        return JSONResponse.noContent()
    }

    @Sendable func memberships(_ request: Request, context: KoblingContext) async throws -> Response {
        JSONResponse.items(ofDocuments: try await database.memberships(personId: try context.parameters.require("id")))
    }

    /// The conflicts of interest the person declared, which every round honours.
    @Sendable func conflicts(_ request: Request, context: KoblingContext) async throws -> Response {
        let conflicts = try await database.conflicts(personId: try context.parameters.require("id"))
        return try JSONResponse.make(ListBody(page: Page(items: conflicts, nextCursor: nil)))
    }

    private func setConflict(_ declared: Bool, context: KoblingContext) async throws -> Response {
        try await database.setConflict(
            personId: try context.parameters.require("id"), target: try context.parameters.require("target"), declared: declared)
        return JSONResponse.noContent()
    }

    /// The whole profile, for those the route's access already lets see it (owner, organiser).
    private func full(_ person: Person, status: HTTPResponse.Status) -> Response {
        JSONResponse.raw(Array(PersonDocument.full(person).utf8), status: status, headers: [.eTag: EntityTag.make(version: person.version)])
    }

    private func respond(id: String, context: KoblingContext, status: HTTPResponse.Status) async throws -> Response {
        guard let document = try await database.personDocument(id: id, viewer: Viewer(context.caller)) else {
            throw KoblingError.notFound("No such person.")
        }
        return JSONResponse.document(document, status: status)
    }
}
