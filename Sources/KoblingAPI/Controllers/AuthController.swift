import Foundation
import Hummingbird
import HummingbirdBcrypt
import KoblingCore
import Mail
import Notices
import Storage

/// Sign-up (with the link that verifies the address), log-in and log-out, password change and
/// reset.
struct AuthController {
    let services: AppServices
    /// Checked when an address has no account, so that the answer takes as long as for one that has.
    let decoyHash: String

    init(services: AppServices) {
        self.services = services
        decoyHash = Bcrypt.hash("decoy password", cost: services.configuration.bcryptCost)
    }

    struct Session: Encodable {
        let token: String
        let expiresAt: String
        let account: Account
    }

    func addRoutes(to routes: APIRoutes) {
        routes.add(.post, "/v1/auth/signup", .anyone, signup)
        routes.add(.post, "/v1/auth/login", .anyone, login)
        routes.add(.post, "/v1/auth/logout", .member, logout)
        routes.add(.post, "/v1/auth/password", .member, changePassword)
        routes.add(.post, "/v1/auth/password-reset", .anyone, requestReset)
        routes.add(.post, "/v1/auth/password-reset/confirm", .anyone, confirmReset)
        routes.add(.post, "/v1/auth/verify-email", .anyone, verifyEmail)
    }

    @Sendable func signup(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["email", "password", "name", "language"])
        let rawEmail = fields.required("email", maxLength: 254)
        let password = fields.secret("password")
        let name = fields.required("name", maxLength: 200)
        let language = fields.language("language") ?? nil
        let email = rawEmail.flatMap(EmailAddress.init)
        if rawEmail != nil && email == nil { fields.fail("email", "Not an email address.") }
        if let password, let problem = PasswordPolicy.problem(with: password, email: rawEmail) { fields.fail("password", problem) }
        try fields.finish()
        guard let email, let password, let name else { throw KoblingError.invalid([]) }
        // Counted before the password is hashed: a flood of sign-ups from one client costs no bcrypt.
        if let client = context.remoteAddress {
            try await services.database.takeAttempts(
                [("signup-client:" + client, services.configuration.signupsPerClientPerHour)], refusal: "Too many sign-ups from your network")
        }
        let verification = try services.addressVerification(to: email, name: name, language: language)
        let account = try await services.database.createAccount(
            email: email, passwordHash: try await services.hasher.hash(password), name: name, language: language, verification: verification)
        services.outbox.wake()
        return try await startSession(account, status: .created)
    }

    @Sendable func login(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["email", "password"])
        let rawEmail = fields.required("email", maxLength: 254)
        let password = fields.secret("password")
        try fields.finish()
        guard let rawEmail, let password else { throw KoblingError.invalid([]) }
        let address = EmailAddress(rawEmail)?.value ?? rawEmail.lowercased()
        let keys = ["email:" + address] + (context.remoteAddress.map { ["client:" + $0] } ?? [])
        // Counted before the password is checked, so that attempts sent at once are counted together.
        let attempt = try await services.throttle.begin(keys)
        let credentials = if let email = EmailAddress(rawEmail) { try await services.database.credentials(email: email) } else { nil as Credentials? }
        let matches = try await services.hasher.verify(password, hash: credentials?.passwordHash ?? decoyHash)
        guard let credentials, matches, let account = try await services.database.account(id: credentials.accountId) else {
            throw KoblingError.unauthenticated("The email or the password is wrong.")
        }
        await services.throttle.succeeded(attempt)
        return try await startSession(account, status: .ok)
    }

    @Sendable func logout(_ request: Request, context: KoblingContext) async throws -> Response {
        if let token = bearerToken(request) {
            try await services.database.endSession(tokenHash: SecretToken.hash(token))
        }
        return JSONResponse.noContent()
    }

    @Sendable func changePassword(_ request: Request, context: KoblingContext) async throws -> Response {
        let caller = try context.requireCaller()
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["currentPassword", "newPassword"])
        let current = fields.secret("currentPassword")
        let new = fields.secret("newPassword")
        if let new, let problem = PasswordPolicy.problem(with: new, email: caller.email) { fields.fail("newPassword", problem) }
        try fields.finish()
        guard let current, let new, let credentials = try await services.database.credentials(accountId: caller.accountId) else {
            throw KoblingError.invalid([])
        }
        guard try await services.hasher.verify(current, hash: credentials.passwordHash) else {
            throw KoblingError.invalid("/currentPassword", "This is not your current password.")
        }
        try await services.database.changePassword(
            accountId: caller.accountId, passwordHash: try await services.hasher.hash(new),
            keeping: bearerToken(request).map(SecretToken.hash))
        return JSONResponse.noContent()
    }

    /// Always 202, whether or not the address has an account, so that nobody learns who is a member.
    @Sendable func requestReset(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["email"])
        let rawEmail = fields.required("email", maxLength: 254)
        if let rawEmail, EmailAddress(rawEmail) == nil { fields.fail("email", "Not an email address.") }
        try fields.finish()
        if let email = rawEmail.flatMap(EmailAddress.init), let credentials = try await services.database.credentials(email: email) {
            let recent = try await services.database.passwordResetCount(accountId: credentials.accountId, since: services.clock.now() - 3600)
            if recent < 5 {
                let token = SecretToken.generate()
                let notice = Notice.passwordReset(
                    link: services.configuration.publicLink("/reset-password?token=\(token)"),
                    minutes: Int(services.configuration.passwordResetLifetime / 60))
                try await services.database.createPasswordReset(
                    accountId: credentials.accountId, tokenHash: SecretToken.hash(token), lifetime: services.configuration.passwordResetLifetime,
                    mail: try services.notices.outbox(MailKind.passwordReset, notice, to: Mailbox(email.value), language: credentials.language))
                services.outbox.wake()
            } else {
                context.logger.notice("password reset limit reached", metadata: ["account": "\(credentials.accountId)"])
            }
        }
        return try JSONResponse.make(["status": "If the address has an account, a link to choose a new password is on its way."], status: .accepted)
    }

    @Sendable func confirmReset(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["token", "newPassword"])
        let token = fields.required("token", maxLength: 200)
        let new = fields.secret("newPassword")
        if let new, let problem = PasswordPolicy.problem(with: new, email: nil) { fields.fail("newPassword", problem) }
        try fields.finish()
        guard let token, let new else { throw KoblingError.invalid([]) }
        try await services.database.resetPassword(tokenHash: SecretToken.hash(token), passwordHash: try await services.hasher.hash(new))
        return JSONResponse.noContent()
    }

    private func startSession(_ account: Account, status: HTTPResponse.Status) async throws -> Response {
        let token = SecretToken.generate()
        let expiresAt = try await services.database.startSession(
            accountId: account.id, tokenHash: SecretToken.hash(token), lifetime: services.configuration.sessionLifetime)
        return try JSONResponse.make(Session(token: token, expiresAt: expiresAt, account: account), status: status, headers: [.cacheControl: "no-store"])
    }

    private func bearerToken(_ request: Request) -> String? {
        request.headers[.authorization].map { String($0.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
    }

    /// Opens a verification link: the address becomes the account's, verified. When it replaces
    /// another, the previous address is told.
    @Sendable func verifyEmail(_ request: Request, context: KoblingContext) async throws -> Response {
        var fields = try BodyFields(try await RequestBody.json(request, context: context), allowed: ["token"])
        let token = fields.required("token", maxLength: 200)
        try fields.finish()
        guard let token else { throw KoblingError.invalid([]) }
        return try JSONResponse.make(try await services.verifyAddress(token: token).account, headers: [.cacheControl: "no-store"])
    }
}
