import Hummingbird
import KoblingCore
import Storage

/// Match rounds, for organisers: their settings, runs of the engine in the background, and the
/// locks and blocks an organiser adjusts a run with.
struct MatchRoundsController {
    let services: AppServices
    var database: AppDatabase { services.database }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.get, "/v1/match-rounds", .organiser, list)
        routes.add(.post, "/v1/match-rounds", .organiser, idempotent: true, create)
        routes.add(.get, "/v1/match-rounds/{id}", .organiser, show)
        routes.add(.patch, "/v1/match-rounds/{id}", .organiser, update)
        routes.add(.get, "/v1/match-rounds/{id}/runs", .organiser, runs)
        routes.add(.post, "/v1/match-rounds/{id}/runs", .organiser, startRun)
        routes.add(.get, "/v1/match-rounds/{id}/runs/{runId}", .organiser, showRun)
        routes.add(.get, "/v1/match-rounds/{id}/rules", .organiser, rules)
        routes.add(.post, "/v1/match-rounds/{id}/publish", .organiser, publish)
        routes.add(.get, "/v1/match-rounds/{id}/proposals", .organiser, proposals)
        routes.add(.get, "/v1/match-rounds/{id}/report", .organiser, report)
        for rule in PairRule.allCases {
            let path = "/v1/match-rounds/{id}/\(rule.rawValue)s/{pitchId}/{personId}"
            routes.add(.put, path, .organiser) { _, context in try await setRule(rule, on: true, context: context) }
            routes.add(.delete, path, .organiser) { _, context in try await setRule(rule, on: false, context: context) }
        }
    }

    @Sendable func list(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: [])
        return JSONResponse.page(ofDocuments: try await database.rounds(page: try query.page()))
    }

    @Sendable func create(_ request: Request, context: KoblingContext) async throws -> Response {
        let body = try await RequestBody.json(request, context: context)
        return try respond(try await database.createRound(body), status: .created)
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        guard let document = try await database.roundDocument(id: try context.parameters.require("id")) else {
            throw KoblingError.notFound("No such match round.")
        }
        return JSONResponse.document(document)
    }

    @Sendable func update(_ request: Request, context: KoblingContext) async throws -> Response {
        let body = try await RequestBody.json(request, context: context, mergePatch: true)
        let round = try await database.updateRound(
            id: try context.parameters.require("id"), expectedVersion: try EntityTag.expectedVersion(request), body: body)
        return try respond(round, status: .ok)
    }

    @Sendable func runs(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: [])
        let page = try query.page()
        return JSONResponse.page(ofDocuments: try await database.runs(roundId: try context.parameters.require("id"), page: page))
    }

    /// 202: the run is queued; its Location is where to poll it.
    @Sendable func startRun(_ request: Request, context: KoblingContext) async throws -> Response {
        let roundId = try context.parameters.require("id")
        let run = try await database.startRun(roundId: roundId)
        services.jobs.wake()
        return try JSONResponse.make(run, status: .accepted, headers: [.location: "/v1/match-rounds/\(roundId)/runs/\(run.id)"])
    }

    @Sendable func showRun(_ request: Request, context: KoblingContext) async throws -> Response {
        guard let document = try await database.runDocument(
            roundId: try context.parameters.require("id"), runId: try context.parameters.require("runId")) else {
            throw KoblingError.notFound("The round has no such run.")
        }
        return JSONResponse.document(document)
    }

    /// Publishes one finished run (`{"runId": …}`): its proposals go out, once.
    @Sendable func publish(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["runId"])
        let runId = fields.required("runId", maxLength: 100)
        try fields.finish()
        let notices = services.notices
        let round = try await database.publish(roundId: try context.parameters.require("id"), runId: runId ?? "") {
            try notices.digest($0, reminder: false)
        }
        services.outbox.wake()
        services.jobs.wake()
        return try respond(round, status: .ok)
    }

    @Sendable func proposals(_ request: Request, context: KoblingContext) async throws -> Response {
        var query = Query(request, allowed: [])
        let page = try query.page()
        return JSONResponse.page(ofDocuments: try await database.proposals(ofRound: try context.parameters.require("id"), page: page))
    }

    @Sendable func report(_ request: Request, context: KoblingContext) async throws -> Response {
        try JSONResponse.make(try await database.roundReport(roundId: try context.parameters.require("id")))
    }

    @Sendable func rules(_ request: Request, context: KoblingContext) async throws -> Response {
        let rules = try await database.pairRules(roundId: try context.parameters.require("id"))
        return try JSONResponse.make(ListBody(page: Page(items: rules.map { PairRuleBody(pitchId: $0.pair.pitchId, personId: $0.pair.personId, rule: $0.rule) }, nextCursor: nil)))
    }

    private func setRule(_ rule: PairRule, on: Bool, context: KoblingContext) async throws -> Response {
        try await database.setPairRule(
            roundId: try context.parameters.require("id"), pitchId: try context.parameters.require("pitchId"),
            personId: try context.parameters.require("personId"), rule: on ? rule : nil, expected: rule)
        return JSONResponse.noContent()
    }

    private func respond(_ round: Round, status: HTTPResponse.Status) throws -> Response {
        try JSONResponse.make(round, status: status, headers: [.eTag: EntityTag.make(version: round.version)])
    }
}

/// A lock or a block, as the rules list shows it.
struct PairRuleBody: Encodable {
    var pitchId: String
    var personId: String
    var rule: PairRule
}
