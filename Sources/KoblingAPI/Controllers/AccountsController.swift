import Hummingbird
import KoblingCore
import Storage

/// Accounts as organisers see them: who has verified their address and who has not.
struct AccountsController {
    let services: AppServices

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/accounts", .organiser, list)
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["verified"])
        let verified = query.bool("verified")
        let page = try query.page()
        return try JSONResponse.make(ListBody(page: try await services.database.accounts(verified: verified, page: page)))
    }
}
