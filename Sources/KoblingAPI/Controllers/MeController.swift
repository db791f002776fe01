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
        routes.add(.patch, "/v1/me", .member, update)
        routes.add(.post, "/v1/me/email", .member, changeEmail)
        routes.add(.delete, "/v1/me", .member, erase)
        routes.add(.get, "/v1/me/export", .member, export)
        routes.add(.delete, "/v1/me/memberships/{organisationId}", .member, leave)
    }

    struct Me: Encodable {
        let account: Account
        let person: JSONFragment?
        let memberships: [Membership]
    }

    @Sendable func show(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard let data = try await database.personalData(accountId: caller.accountId) else { throw KoblingError.unauthenticated() }
        let me = Me(account: data.account, person: data.personDocument.map(JSONFragment.init), memberships: data.memberships)
        return try JSONResponse.make(me, headers: [.cacheControl: "no-store"])
    }

    /// Sets what the owner chooses about the account itself: the language Kobling writes in.
    @Sendable func update(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        var fields = try BodyFields(try await RequestBody.json(request, context: context, mergePatch: true), allowed: ["language"])
        let language = fields.language("language")
        try fields.finish()
        if let language { try await database.setLanguage(accountId: caller.accountId, language) }
        return try await show(request, context: context)
    }

    /// Asks for a link to verify an address: the account's own while it is unverified, or a new
    /// one, which becomes the account's only once its link is opened. 202 with the account, whose
    /// `pendingEmail` then shows the new address.
    @Sendable func changeEmail(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["email"])
        let rawEmail = fields.required("email", maxLength: 254)
        let email = rawEmail.flatMap(EmailAddress.init)
        if rawEmail != nil && email == nil { fields.fail("email", "Not an email address.") }
        try fields.finish()
        guard let email else { throw KoblingError.invalid([]) }
        let verification = try services.addressVerification(
            to: email, name: nil, language: caller.language, change: email.value != caller.email)
        let account = try await database.requestAddressVerification(accountId: caller.accountId, verification)
        services.outbox.wake()
        return try JSONResponse.make(account, status: .accepted, headers: [.cacheControl: "no-store"])
    }

    /// The right of access: everything held about the caller, as one JSON document.
    @Sendable func export(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard let data = try await database.personalData(accountId: caller.accountId) else { throw KoblingError.unauthenticated() }
        let body = Export(
            exportedAt: Timestamp.string(services.clock.now()), account: data.account,
            person: data.personDocument.map(JSONFragment.init), memberships: data.memberships, sessions: data.sessions,
            passwordChangedAt: data.passwordChangedAt, subscriptions: data.subscriptions,
            pitches: data.pitchDocuments.map(JSONFragment.init), interestedInPitches: data.interestedIn,
            proposals: data.proposalDocuments.map(JSONFragment.init), collaborations: data.collaborationDocuments.map(JSONFragment.init),
            conflictsOfInterest: data.conflicts, meetings: data.meetingDocuments.map(JSONFragment.init),
            mentoringRequests: data.mentoringRequestDocuments.map(JSONFragment.init))
        return try JSONResponse.make(body, headers: [
            .cacheControl: "no-store", .contentDisposition: "attachment; filename=\"kobling-export.json\"",
        ])
    }

    struct Export: Encodable {
        let exportedAt: String
        let account: Account
        let person: JSONFragment?
        let memberships: [Membership]
        let sessions: [PersonalData.SessionInfo]
        let passwordChangedAt: String
        let subscriptions: [ListSubscription]
        let pitches: [JSONFragment]
        let interestedInPitches: [String]
        let proposals: [JSONFragment]
        let collaborations: [JSONFragment]
        let conflictsOfInterest: [String]
        let meetings: [JSONFragment]
        let mentoringRequests: [JSONFragment]
    }

    /// The right to erasure: the account and its profile are deleted at once, not hidden.
    @Sendable func erase(_ request: Request, context: KoblingContext) async throws -> Response {
        try await database.eraseAccount(accountId: try context.requireCaller().accountId)
        return JSONResponse.noContent()
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
