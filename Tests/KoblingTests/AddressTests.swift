import Foundation
import Hummingbird
import HummingbirdTesting
import KoblingCore
import Mail
import Storage
import Testing

/// Who owns an address: an account reaches what others filed under its address only once an
/// emailed link shows the address is its own, and a new address takes effect only once verified.
@Suite struct AddressTests {
    static let verifyLink = "https://kobling.test/verify-email?token="

    @Test func anUnverifiedAccountReachesNothingFiledUnderItsAddressByOthers() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let list = try await ListsTests.makeList(client, as: organiser)
            // Mette subscribes from the web form, without an account.
            try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"mette@example.dk","consent":true}"#)
            let confirm = try await app.mailedToken("https://kobling.test/subscriptions/confirm?token=", to: "mette@example.dk")
            #expect(try await client.request(.post, "/v1/subscriptions/confirm", json: #"{"token":"\#(confirm)"}"#).status == .ok)

            // Someone else signs up with her address.
            let squatter = try await client.signup("mette@example.dk")
            let me = try await client.request(.get, "/v1/me", as: squatter).json()
            #expect((me["account"] as? [String: Any])?["emailVerified"] as? Bool == false)
            let export = try await client.request(.get, "/v1/me/export", as: squatter).json()
            #expect((export["subscriptions"] as? [Any])?.isEmpty == true)
            // Subscribing "from the account" does not file her subscription under it either.
            try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"consent":true}"#, as: squatter)
            #expect((try await client.request(.get, "/v1/me/export", as: squatter).json()["subscriptions"] as? [Any])?.isEmpty == true)

            // Organisers see who has not verified.
            let unverified = try await client.request(.get, "/v1/accounts?verified=false", as: organiser).items()
            #expect(unverified.compactMap { $0["email"] as? String } == ["mette@example.dk"])
            #expect(try await client.request(.get, "/v1/accounts?verified=true", as: organiser).items().compactMap { $0["email"] as? String }
                == ["organiser@kobling.test"])
            #expect(try await client.request(.get, "/v1/accounts", as: squatter).status == .forbidden)
            #expect(try await client.request(.get, "/v1/accounts?verified=maybe", as: organiser).status == .badRequest)

            // Erasing the account leaves her subscription and its consent record alone.
            #expect(try await client.request(.delete, "/v1/me", as: squatter).status == .noContent)
            let left = try await app.database.allSubscribers(listId: list)
            #expect(left.map(\.email) == ["mette@example.dk"] && left.first?.status == .confirmed)
        }
    }

    @Test func theEmailedLinkVerifiesOnceAndThenTheAddressJoinsTheAccount() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let list = try await ListsTests.makeList(client, as: try await client.organiser())
            try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"mette@example.dk","consent":true}"#)
            let member = try await client.signup("mette@example.dk", name: "Mette")
            let mail = try #require(try await app.sentMail().last { $0.contains("verify-email") })
            #expect(mail.contains("To: Mette <mette@example.dk>"))
            #expect(QuotedPrintable.decode(mail).contains("Bekræft, at adressen er din"))
            let token = try #require(Mailed.token(Self.verifyLink, in: mail))

            let verified = try await client.request(.post, "/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#)
            #expect(verified.status == .ok)
            #expect(try verified.json()["emailVerified"] as? Bool == true)
            let again = try await client.request(.post, "/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#)
            #expect(again.status == .unprocessableContent)
            #expect(try again.pointers() == ["/token"])

            let export = try await client.request(.get, "/v1/me/export", as: member).json()
            #expect((export["subscriptions"] as? [[String: Any]])?.count == 1)
            // Verified and the account's own already: nothing to send.
            #expect(try await client.request(.post, "/v1/me/email", json: #"{"email":"mette@example.dk"}"#, as: member).status == .conflict)
        }
    }

    @Test func aLinkExpiresAndTheNewestLinkIsTheOnlyOneThatWorks() async throws {
        let app = try TestApp()
        try await app.test { client in
            let member = try await client.signup("ib@example.dk")
            let first = try await app.mailedToken(Self.verifyLink, to: "ib@example.dk")
            #expect(try await client.request(.post, "/v1/me/email", json: #"{"email":"ib@example.dk"}"#, as: member).status == .accepted)
            let second = try await app.mailedToken(Self.verifyLink, to: "ib@example.dk")
            #expect(first != second)
            #expect(try await client.request(.post, "/v1/auth/verify-email", json: #"{"token":"\#(first)"}"#).status == .unprocessableContent)
            app.time.advance(by: 48 * 3600 + 1)
            #expect(try await client.request(.post, "/v1/auth/verify-email", json: #"{"token":"\#(second)"}"#).status == .unprocessableContent)
            // Five links an hour at most.
            for _ in 0..<5 {
                #expect(try await client.request(.post, "/v1/me/email", json: #"{"email":"ib@example.dk"}"#, as: member).status == .accepted)
            }
            let refused = try await client.request(.post, "/v1/me/email", json: #"{"email":"ib@example.dk"}"#, as: member)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] != nil)
        }
    }

    @Test func aNewAddressTakesEffectOnlyOnceItsLinkIsOpenedAndTheOldOneIsTold() async throws {
        let app = try TestApp()
        try await app.test { client in
            let member = try await app.verifiedSignup(client, "old@example.dk")
            _ = try await client.signup("taken@example.dk")
            #expect(try await client.request(.post, "/v1/me/email", json: #"{"email":"taken@example.dk"}"#, as: member).status == .conflict)
            let bad = try await client.request(.post, "/v1/me/email", json: #"{"email":"not an address"}"#, as: member)
            #expect(try bad.pointers() == ["/email"])

            let asked = try await client.request(.post, "/v1/me/email", json: #"{"email":"New@Example.dk"}"#, as: member)
            #expect(asked.status == .accepted)
            let account = try asked.json()
            #expect(account["email"] as? String == "old@example.dk")
            #expect(account["pendingEmail"] as? String == "new@example.dk")
            #expect(account["emailVerified"] as? Bool == true)
            // Until the link is opened, the old address is the one that logs in.
            _ = try await client.login("old@example.dk", password: "correct horse battery")

            // The link, opened as a person would: the page asks, its button posts.
            let mail = try #require(try await app.sentMail().last { $0.contains("To: new@example.dk") })
            #expect(QuotedPrintable.decode(mail).contains("har bedt om at bruge new@example.dk"))
            let link = try LinkPagesTests.link(Self.verifyLink, in: mail)
            let page = try await client.request(.get, String(link.dropFirst("https://kobling.test".count)))
            #expect(page.status == .ok)
            LinkPagesTests.expectSafePage(page)
            let done = try await LinkPagesTests.submit(page, with: client)
            #expect(done.status == .ok)
            #expect(done.text.contains("new@example.dk is verified"))
            LinkPagesTests.expectSafePage(done)
            #expect(try await LinkPagesTests.submit(page, with: client).status == .unprocessableContent)

            let me = try await client.request(.get, "/v1/me", as: member).json()
            #expect((me["account"] as? [String: Any])?["email"] as? String == "new@example.dk")
            #expect((me["account"] as? [String: Any])?["pendingEmail"] is NSNull)
            _ = try await client.login("new@example.dk", password: "correct horse battery")
            let told = try #require(try await app.sentMail().last)
            #expect(told.contains("To: old@example.dk"))
            #expect(QuotedPrintable.decode(told).contains("bruger nu new@example.dk"))
        }
    }

    @Test func aPasswordResetVerifiesTheAddressItReached() async throws {
        let app = try TestApp()
        try await app.test { client in
            _ = try await client.signup("sara@example.dk")
            try await client.request(.post, "/v1/auth/password-reset", json: #"{"email":"sara@example.dk"}"#)
            let token = try await app.mailedToken("https://kobling.test/reset-password?token=", to: "sara@example.dk")
            let reset = try await client.request(
                .post, "/v1/auth/password-reset/confirm", json: #"{"token":"\#(token)","newPassword":"the owner's password"}"#)
            #expect(reset.status == .noContent)
            let member = try await client.login("sara@example.dk", password: "the owner's password")
            let me = try await client.request(.get, "/v1/me", as: member).json()
            #expect((me["account"] as? [String: Any])?["emailVerified"] as? Bool == true)
        }
    }
}
