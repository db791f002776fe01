import Background
import Hummingbird
import KoblingCore
import Storage

/// The outbox as organisers see it: every email queued, sending, sent or failed, with the reason,
/// whether sending is paused for an organiser, and whether it is backing off by itself.
struct OutboxController {
    let services: AppServices

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/outbox", .organiser, list)
        routes.add(.post, "/v1/outbox/resume", .organiser, resume)
    }

    struct Listing: Encodable {
        var items: [OutboxEntry]
        var nextCursor: String?
        var counts: [String: Int]
        var paused: String?
        var backingOff: BackingOff?

        struct BackingOff: Encodable {
            var until: String
            var reason: String
        }

        enum CodingKeys: String, CodingKey { case items, nextCursor, counts, paused, backingOff }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(nextCursor, forKey: .nextCursor)
            try container.encode(counts, forKey: .counts)
            try container.encode(paused, forKey: .paused)
            try container.encode(backingOff, forKey: .backingOff)
        }
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: ["status", "issueId"])
        let status = query.enumeration("status", OutboxEntry.Status.self)
        let issueId = query.string("issueId")
        let page = try query.page()
        let result = try await services.database.outbox(status: status, issueId: issueId, page: page)
        let counts = try await services.database.outboxCounts()
        return try JSONResponse.make(Listing(
            items: result.items, nextCursor: result.nextCursor,
            counts: Dictionary(uniqueKeysWithValues: OutboxEntry.Status.allCases.map { ($0.rawValue, counts[$0] ?? 0) }),
            paused: services.outbox.pausedReason,
            backingOff: services.outbox.backingOff.map { .init(until: Timestamp.string($0.until), reason: $0.reason) }))
    }

    @Sendable func resume(_ request: Request, context: KoblingContext) async throws -> Response {
        services.outbox.resume()
        return JSONResponse.noContent()
    }
}
