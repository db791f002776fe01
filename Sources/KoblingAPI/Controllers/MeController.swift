import Foundation
import Hummingbird
import KoblingCore
import Storage

/// The signed-in caller's own account.
struct MeController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/me", .member, show)
        routes.add(.delete, "/v1/me/memberships/{organisationId}", .member, leave)
    }

    struct Me: Encodable {
        let account: Account
        let person: JSONFragment?
        let memberships: [Membership]
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard let account = try await database.account(id: caller.accountId) else { throw KoblingError.unauthenticated() }
        var person: JSONFragment?
        var memberships: [Membership] = []
        if let personId = account.personId {
            person = try await database.personDocument(id: personId, viewer: .member(accountId: caller.accountId)).map { JSONFragment($0.document) }
            memberships = try await database.memberships(personId: personId)
        }
        return try JSONResponse.make(Me(account: account, person: person, memberships: memberships), headers: [.cacheControl: "no-store"])
    }

    @Sendable func leave(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard let personId = caller.personId else { throw KoblingError.notFound("You have no profile.") }
        try await database.removeMember(organisationId: try context.parameters.require("organisationId"), personId: personId)
        return JSONResponse.noContent()
    }
}

/// A JSON document rendered elsewhere, embedded as it is.
struct JSONFragment: Encodable {
    let value: JSONValue

    init(_ text: String) {
        value = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
