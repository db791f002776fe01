import HTTPTypes
import NIOConcurrencyHelpers
import Hummingbird
import KoblingCore
import Storage

/// The route table: every operation is added here with its access, which is checked in one
/// place before the handler runs. The table is also what the tests compare with the spec.
final class APIRoutes {
    typealias Handler = @Sendable (Request, KoblingContext) async throws -> Response

    let router: Router<KoblingContext>
    let database: AppDatabase
    private(set) var operations: [Operation] = []

    init(router: Router<KoblingContext>, database: AppDatabase) {
        self.router = router
        self.database = database
    }

    /// Adds an operation. An `idempotent` create honours `Idempotency-Key`.
    func add(_ method: HTTPRequest.Method, _ path: String, _ access: Access, idempotent: Bool = false, _ handler: @escaping Handler) {
        operations.append(Operation(method: method.rawValue, path: path, access: access))
        let database = self.database
        let routerPath = path.split(separator: "/").map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : String(segment)
        }.joined(separator: "/")
        router.on(RouterPath("/" + routerPath), method: method) { request, context in
            try await Self.authorise(access, context: context, database: database)
            guard idempotent else { return try await handler(request, context) }
            return try await Idempotency.respond(to: request, context: context, database: database, handler: handler)
        }
    }

    /// The one authorisation check.
    static func authorise(_ access: Access, context: KoblingContext, database: AppDatabase) async throws {
        if access == .anyone { return }
        guard let caller = context.caller else { throw KoblingError.unauthenticated() }
        switch access {
        case .anyone, .member:
            return
        case .organiser:
            if !caller.isOrganiser { throw KoblingError.forbidden("Only organisers may do this.") }
        case .owner:
            let id = try context.parameters.require("id")
            guard let owner = try await database.owner(ofPerson: id) else { throw KoblingError.notFound("No such person.") }
            if caller.isOrganiser || (owner != nil && owner == caller.accountId) { return }
            throw KoblingError.forbidden("Only the person themself or an organiser may do this.")
        case .orgAdmin:
            let id = try context.parameters.require("id")
            guard try await database.organisationExists(id: id) else { throw KoblingError.notFound("No such organisation.") }
            if caller.isOrganiser { return }
            if let personId = caller.personId, try await database.isAdmin(personId: personId, organisationId: id) { return }
            throw KoblingError.forbidden("Only an admin of this organisation or an organiser may do this.")
        case .author:
            let id = try context.parameters.require("id")
            guard let author = try await database.pitchAuthor(id: id) else { throw KoblingError.notFound("No such pitch.") }
            if caller.isOrganiser || (caller.personId != nil && caller.personId == author) { return }
            throw KoblingError.forbidden("Only the pitch's author or an organiser may do this.")
        }
    }
}

/// The operations of a built router, readable from middleware that was added before the routes.
final class OperationTable: Sendable {
    private let storage = NIOLockedValueBox<[Operation]>([])

    func set(_ operations: [Operation]) {
        storage.withLockedValue { $0 = operations }
    }

    /// The methods the table has for a concrete path, for a 405's `Allow`.
    func methods(matching path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return storage.withLockedValue { $0 }.filter { operation in
            let template = operation.path.split(separator: "/", omittingEmptySubsequences: true)
            return template.count == segments.count
                && zip(template, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.map(\.method)
    }
}
