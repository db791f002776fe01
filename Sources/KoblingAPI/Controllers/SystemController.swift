import Foundation
import Hummingbird
import OpenAPISpec
import Prometheus
import Storage

/// Liveness, readiness, metrics and the API's own contract.
struct SystemController {
    let services: AppServices

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/health", .anyone, health)
        routes.add(.get, "/ready", .anyone, ready)
        routes.add(.get, "/metrics", .anyone, metrics)
        routes.add(.get, "/openapi.yaml", .anyone, openAPI)
    }

    @Sendable func health(_ request: Request, context: KoblingContext) async throws -> Response {
        try JSONResponse.make(["status": "ok"])
    }

    @Sendable func ready(_ request: Request, context: KoblingContext) async throws -> Response {
        if await services.database.isReady() {
            return try JSONResponse.make(["status": "ready"])
        }
        return Problem(status: .serviceUnavailable, slug: "not-ready", detail: "The database is not reachable or not migrated.")
            .response(headers: [.retryAfter: "5"])
    }

    @Sendable func metrics(_ request: Request, context: KoblingContext) async throws -> Response {
        services.databaseMetrics.update(from: services.database.load)
        var buffer: [UInt8] = []
        services.metrics.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }

    /// The spec's bytes in one buffer, shared by every answer instead of copied into each.
    private static let spec = ByteBuffer(bytes: OpenAPISpec.bytes)

    @Sendable func openAPI(_ request: Request, context: KoblingContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: Self.spec))
    }
}
