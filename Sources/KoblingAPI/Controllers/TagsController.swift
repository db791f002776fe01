import Hummingbird
import KoblingCore
import Storage

/// The shared vocabulary: clinical domains, AI methods, data modalities and skills, in Danish and English.
struct TagsController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/tags", .anyone, list)
        routes.add(.post, "/v1/tags", .organiser, idempotent: true, create)
        routes.add(.get, "/v1/tags/{id}", .anyone, show)
        routes.add(.patch, "/v1/tags/{id}", .organiser, update)
        routes.add(.delete, "/v1/tags/{id}", .organiser, delete)
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["kind", "q"])
        let kind = query.enumeration("kind", TagKind.self)
        let text = query.string("q")
        let page = try query.page()
        return JSONResponse.page(ofDocuments: try await database.tags(kind: kind, text: text, page: page))
    }

    @Sendable func create(_ request: Request, context: KoblingContext) async throws -> Response {
        try JSONResponse.make(try await database.createTag(try await RequestBody.json(request, context: context)), status: .created)
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        guard let tag = try await database.tagDocument(id: try context.parameters.require("id")) else { throw KoblingError.notFound("No such tag.") }
        return JSONResponse.document(tag)
    }

    @Sendable func update(_ request: Request, context: KoblingContext) async throws -> Response {
        let body = try await RequestBody.json(request, context: context, mergePatch: true)
        return try JSONResponse.make(try await database.updateTag(id: try context.parameters.require("id"), body: body))
    }

    @Sendable func delete(_ request: Request, context: KoblingContext) async throws -> Response {
        try await database.deleteTag(id: try context.parameters.require("id"))
        return JSONResponse.noContent()
    }
}
