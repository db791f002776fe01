import Foundation
import HTTPTypes
import HummingbirdTesting
import Mail
import Testing

@Suite struct AuthTests {
    @Test func signUpThenSeeYourselfAndLogInAgain() async throws {
        try await TestApp().test { client in
            let member = try await client.signup("Søren@Example.DK", name: "Søren Ågaard")
            let me = try await client.request(.get, "/v1/me", as: member).json()
            let account = try #require(me["account"] as? [String: Any])
            #expect(account["email"] as? String == "søren@example.dk")
            #expect(account["role"] as? String == "member")
            #expect((me["person"] as? [String: Any])?["name"] as? String == "Søren Ågaard")

            let again = try await client.login("  SØREN@example.dk ", password: "correct horse battery")
            #expect(again.accountId == member.accountId)
            #expect(again.token != member.token)
        }
    }

    @Test func anAddressSignsUpOnce() async throws {
        try await TestApp().test { client in
            _ = try await client.signup("lea@example.dk")
            let second = try await client.request(.post, "/v1/auth/signup", json: #"{"email":"LEA@example.dk","password":"another good password","name":"Lea"}"#)
            #expect(second.status == .conflict)
            try second.problem()
        }
    }

    @Test func weakPasswordsAreRefused() async throws {
        try await TestApp().test { client in
            for password in ["short", "password123", "aaaaaaaaaaaaaaaa", "mette.kjaer@x", String(repeating: "æøå", count: 30)] {
                let response = try await client.request(
                    .post, "/v1/auth/signup", json: #"{"email":"mette.kjaer@example.dk","password":"\#(password)","name":"Mette"}"#)
                #expect(response.status == .unprocessableContent, "\(password)")
                #expect(try response.pointers() == ["/password"])
            }
        }
    }

    @Test func tokensStopWorkingAtLogout() async throws {
        try await TestApp().test { client in
            let member = try await client.signup("ida@example.dk")
            #expect(try await client.request(.post, "/v1/auth/logout", as: member).status == .noContent)
            let after = try await client.request(.get, "/v1/me", as: member)
            #expect(after.status == .unauthorized)
            try after.problem()
        }
    }

    @Test func tokensExpire() async throws {
        let app = try TestApp { $0.sessionLifetime = 3600 }
        let time = app.time
        try await app.test { client in
            let member = try await client.signup("jonas@example.dk")
            time.advance(by: 3599)
            #expect(try await client.request(.get, "/v1/me", as: member).status == .ok)
            time.advance(by: 2)
            #expect(try await client.request(.get, "/v1/me", as: member).status == .unauthorized)
        }
    }

    @Test func repeatedFailedLogInsAreRefusedFor429UntilTheWindowPasses() async throws {
        let app = try TestApp()
        let time = app.time
        try await app.test { client in
            _ = try await client.signup("karen@example.dk")
            for _ in 0..<5 {
                let wrong = try await client.request(.post, "/v1/auth/login", json: #"{"email":"karen@example.dk","password":"wrong password!"}"#)
                #expect(wrong.status == .unauthorized)
            }
            let refused = try await client.request(.post, "/v1/auth/login", json: #"{"email":"karen@example.dk","password":"correct horse battery"}"#)
            #expect(refused.status == .tooManyRequests)
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 900)
            try refused.problem()

            time.advance(by: 901)
            _ = try await client.login("karen@example.dk", password: "correct horse battery")
        }
    }

    /// Forty wrong passwords for one address sent at the same moment get no more tries than the
    /// limit: the check and the count are one step.
    @Test func aBurstOfFailedLogInsGetsNoMoreTriesThanTheLimit() async throws {
        try await TestApp().test { client in
            _ = try await client.signup("bodil@example.dk")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for attempt in 0..<40 {
                    group.addTask {
                        let body = #"{"email":"bodil@example.dk","password":"wrong password \#(attempt)"}"#
                        return Int(try await client.request(.post, "/v1/auth/login", json: body).status.code)
                    }
                }
                return try await group.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(statuses == [401: 5, 429: 35])
            // The right password is refused too until the window has passed.
            let right = try await client.request(.post, "/v1/auth/login", json: #"{"email":"bodil@example.dk","password":"correct horse battery"}"#)
            #expect(right.status == .tooManyRequests)
        }
    }

    /// Over a real connection, so that the server sees the client's address.
    @Test func signUpsFromOneClientAreLimitedPerHour() async throws {
        let app = try TestApp { $0.signupsPerClientPerHour = 3 }
        let time = app.time
        try await app.application().test(.live) { client in
            for index in 0..<3 { _ = try await client.signup("deltager\(index)@example.dk") }
            let refused = try await client.request(
                .post, "/v1/auth/signup", json: #"{"email":"deltager3@example.dk","password":"correct horse battery","name":"Nr. 4"}"#)
            #expect(refused.status == .tooManyRequests)
            let wait = try #require(refused.headers[.retryAfter].flatMap(Int.init))
            #expect(wait > 3500 && wait <= 3600)
            #expect(try refused.problem()["detail"] as? String == "Too many sign-ups from your network; try again in 60 minutes.")
            time.advance(by: 3601)
            _ = try await client.signup("deltager3@example.dk")
        }
    }

    @Test func aSuccessfulLogInIsNotCountedAgainstTheAddress() async throws {
        try await TestApp().test { client in
            _ = try await client.signup("ib@example.dk")
            for _ in 0..<6 {
                _ = try await client.login("ib@example.dk", password: "correct horse battery")
            }
            for _ in 0..<4 {
                let wrong = try await client.request(.post, "/v1/auth/login", json: #"{"email":"ib@example.dk","password":"not my password"}"#)
                #expect(wrong.status == .unauthorized)
            }
            _ = try await client.login("ib@example.dk", password: "correct horse battery")
        }
    }

    @Test func changingThePasswordEndsOtherSessions() async throws {
        try await TestApp().test { client in
            let phone = try await client.signup("peter@example.dk")
            let laptop = try await client.login("peter@example.dk", password: "correct horse battery")
            let wrong = try await client.request(
                .post, "/v1/auth/password", json: #"{"currentPassword":"not it at all","newPassword":"a brand new secret"}"#, as: laptop)
            #expect(wrong.status == .unprocessableContent)
            #expect(try wrong.pointers() == ["/currentPassword"])

            let changed = try await client.request(
                .post, "/v1/auth/password", json: #"{"currentPassword":"correct horse battery","newPassword":"a brand new secret"}"#, as: laptop)
            #expect(changed.status == .noContent)
            #expect(try await client.request(.get, "/v1/me", as: laptop).status == .ok)
            #expect(try await client.request(.get, "/v1/me", as: phone).status == .unauthorized)
            _ = try await client.login("peter@example.dk", password: "a brand new secret")
        }
    }

    @Test func aPasswordResetLinkWorksOnceAndOnlyInTime() async throws {
        let app = try TestApp()
        try await app.test { client in
            let member = try await client.signup("hanne@example.dk")
            let before = try await app.sentMail().count
            let unknown = try await client.request(.post, "/v1/auth/password-reset", json: #"{"email":"nobody@example.dk"}"#)
            #expect(unknown.status == .accepted)
            #expect(try await app.sentMail().count == before)

            let asked = try await client.request(.post, "/v1/auth/password-reset", json: #"{"email":"HANNE@example.dk"}"#)
            #expect(asked.status == .accepted)
            let mail = try #require(try await app.sentMail().last)
            #expect(mail.contains("To: hanne@example.dk"))
            #expect(mail.contains("Subject: =?UTF-8?B?"))
            let token = try #require(Mailed.token("https://kobling.test/reset-password?token=", in: mail))

            let confirm = #"{"token":"\#(token)","newPassword":"fresh password here"}"#
            #expect(try await client.request(.post, "/v1/auth/password-reset/confirm", json: confirm).status == .noContent)
            #expect(try await client.request(.get, "/v1/me", as: member).status == .unauthorized)
            _ = try await client.login("hanne@example.dk", password: "fresh password here")

            let reused = try await client.request(.post, "/v1/auth/password-reset/confirm", json: confirm)
            #expect(reused.status == .unprocessableContent)
            #expect(try reused.pointers() == ["/token"])

            try await client.request(.post, "/v1/auth/password-reset", json: #"{"email":"hanne@example.dk"}"#)
            let lateMail = try #require(try await app.sentMail().last)
            let late = try #require(Mailed.token("https://kobling.test/reset-password?token=", in: lateMail))
            app.time.advance(by: 3601)
            let expired = try await client.request(.post, "/v1/auth/password-reset/confirm", json: #"{"token":"\#(late)","newPassword":"fresh password here"}"#)
            #expect(expired.status == .unprocessableContent)
        }
    }

    @Test func aMemberExportsAndErasesTheirPersonalData() async throws {
        let app = try TestApp()
        try await app.test { client in
            let member = try await app.verifiedSignup(client, "freja@example.dk", name: "Freja Ølgaard")
            try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"bio":"Jordemoder","publicFields":[]}"#, as: member)
            let organisation = try await client.request(.post, "/v1/organisations", json: #"{"kind":"startup","name":"Fødsel AI"}"#, as: member).json()
            let organisationId = try #require(organisation["id"] as? String)

            try await app.makeOrganiser()
            let list = try await ListsTests.makeList(client, as: try await client.organiser())
            try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"consent":true}"#, as: member)
            try await app.services.outbox.runOnce()
            let export = try await client.request(.get, "/v1/me/export", as: member)
            #expect(export.status == .ok)
            #expect(export.headers[.contentDisposition]?.contains("attachment") == true)
            let data = try export.json()
            #expect((data["person"] as? [String: Any])?["bio"] as? String == "Jordemoder")
            #expect((data["memberships"] as? [[String: Any]])?.first?["organisationName"] as? String == "Fødsel AI")
            #expect((data["sessions"] as? [Any])?.count == 1)
            #expect(!export.text.contains("passwordHash") && !export.text.contains("$2b$"))
            let subscription = try #require((data["subscriptions"] as? [[String: Any]])?.first)
            #expect(subscription["listName"] as? String == "Månedens nyhedsbrev")
            #expect((subscription["subscriber"] as? [String: Any])?["consentSource"] as? String == "account")

            // The last admin of an organisation hands it over first.
            let refused = try await client.request(.delete, "/v1/me", as: member)
            #expect(refused.status == .conflict)
            #expect((try refused.problem()["detail"] as? String)?.contains("Fødsel AI") == true)

            let other = try await client.signup("other@example.dk")
            try await client.request(.put, "/v1/organisations/\(organisationId)/members/\(other.personId)", json: #"{"role":"admin"}"#, as: member)
            #expect(try await client.request(.delete, "/v1/me", as: member).status == .noContent)
            #expect(try await client.request(.get, "/v1/me", as: member).status == .unauthorized)
            #expect(try await client.request(.get, "/v1/people/\(member.personId)").status == .notFound)
            #expect(try await client.request(.get, "/v1/organisations/\(organisationId)/members").items().count == 1)
            // Their subscription and the log of mail to them went too.
            #expect(try await app.database.allSubscribers(listId: list).isEmpty)
            #expect(try await app.database.outbox(status: nil, page: .init()).items.allSatisfy { $0.recipient != "freja@example.dk" })
            let login = try await client.request(.post, "/v1/auth/login", json: #"{"email":"freja@example.dk","password":"correct horse battery"}"#)
            #expect(login.status == .unauthorized)
        }
    }

    @Test func concurrentSignupsWithOneAddressMakeOneAccount() async throws {
        try await TestApp().test { client in
            let statuses = try await withThrowingTaskGroup(of: UInt16.self) { group in
                for attempt in 0..<12 {
                    group.addTask {
                        let body = #"{"email":"samtidig@example.dk","password":"correct horse battery","name":"Forsøg \#(attempt)"}"#
                        return UInt16(try await client.request(.post, "/v1/auth/signup", json: body).status.code)
                    }
                }
                return try await group.reduce(into: [UInt16]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 11)
        }
    }
}
