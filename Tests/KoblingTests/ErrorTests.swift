import Foundation
import HTTPTypes
@testable import KoblingAPI
import HummingbirdTesting
import NIOCore
import Testing

/// Every error is a problem with the right status; no input gives a 500.
@Suite struct ErrorTests {
    @Test func queriesDecodeAsBrowsersWriteThemAndBrokenEscapesStayAsSent() {
        let cases: [(String, String)] = [
            ("plain", "plain"), ("a+b", "a b"), ("%2B1", "+1"), ("%C3%B8jen", "øjen"), ("%c3%b8", "ø"),
            ("100%", "100%"), ("%ZZ+x", "%ZZ x"), ("%FF", "%FF"), ("", ""),
        ]
        for (raw, decoded) in cases { #expect(Query.decode(Substring(raw)) == decoded, "\(raw)") }
        #expect(Query.parse("q=%C3%A6ble+gr%C3%B8d&limit=5&flag").map { "\($0.name)=\($0.value)" } == ["q=æble grød", "limit=5", "flag="])
        #expect(HTML.escape(#"<a href="x">R&D</a>"#) == "&lt;a href=&quot;x&quot;&gt;R&amp;D&lt;/a&gt;")
        #expect(HTML.escape("Øjeblik") == "Øjeblik")
    }

    @Test func unknownRoutesAndWrongMethodsAreProblems() async throws {
        try await TestApp().test { client in
            let missing = try await client.request(.get, "/v1/nothing-here")
            #expect(missing.status == .notFound)
            try missing.problem()

            let wrongMethod = try await client.request(.delete, "/v1/tags")
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "GET, POST")
            try wrongMethod.problem()
        }
    }

    @Test func malformedJSONIs400NamingTheProblem() async throws {
        try await TestApp().test { client in
            let response = try await client.request(.post, "/v1/auth/signup", json: #"{"email": "a@b.dk", "#)
            #expect(response.status == .badRequest)
            let detail = try response.problem()["detail"] as? String
            #expect(detail?.contains("not valid JSON") == true)
        }
    }

    @Test func invalidFieldsAre422WithAPointerEach() async throws {
        try await TestApp().test { client in
            let response = try await client.request(.post, "/v1/auth/signup", json: #"{"email":"not-an-address","password":12,"name":"","extra":true}"#)
            #expect(response.status == .unprocessableContent)
            #expect(Set(try response.pointers()) == ["/email", "/password", "/name", "/extra"])
        }
    }

    @Test func bodiesOverOneMebibyteAre413() async throws {
        try await TestApp().test { client in
            let big = #"{"email":"a@b.dk","password":""# + String(repeating: "x", count: 1 << 20) + #"","name":"x"}"#
            let response = try await client.request(.post, "/v1/auth/signup", json: big)
            #expect(response.status == .contentTooLarge)
            try response.problem()
        }
    }

    @Test func wrongContentTypeIs415() async throws {
        try await TestApp().test { client in
            let response = try await client.request(.post, "/v1/auth/login", json: "email=a@b.dk", contentType: "application/x-www-form-urlencoded")
            #expect(response.status == .unsupportedMediaType)
            try response.problem()
            let missing = try await client.executeRequest(uri: "/v1/auth/login", method: .post, headers: [:], body: ByteBuffer(string: "{}"))
            #expect(missing.status == .unsupportedMediaType)
        }
    }

    @Test func badQueryParametersAre400NamingEach() async throws {
        try await TestApp().test { client in
            let response = try await client.request(.get, "/v1/people?limit=0&cursor=%%%&role=wizard&language=danish&colour=red")
            #expect(response.status == .badRequest)
            #expect(Set(try response.pointers()) == ["limit", "cursor", "role", "language", "colour"])
            let tooMany = try await client.request(.get, "/v1/tags?limit=201")
            #expect(tooMany.status == .badRequest)
        }
    }

    @Test(arguments: [
        #"{"email":"a@b.dk","password":"correct horse battery","name":1e400}"#,
        #"{"email":"a@b.dk","password":"correct horse battery","name":123456789012345678901234567890}"#,
        String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000),
        String(repeating: #"{"a":"#, count: 600) + "1" + String(repeating: "}", count: 600),
        #"{"email":"'; DROP TABLE account; --@x.dk","password":"' OR 1=1 --  ","name":"Robert'); DROP TABLE person;--"}"#,
        #"{"email":"","password":"","name":""}"#,
        #"{"email":"\u0000@x.dk","password":"\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000","name":"\u0000"}"#,
        "null", "[]", "\"just a string\"", "{}", "   ",
    ])
    func strangeBodiesNeverGive500(_ body: String) async throws {
        try await TestApp().test { client in
            for path in ["/v1/auth/signup", "/v1/auth/login", "/v1/auth/password-reset"] {
                let response = try await client.request(.post, path, json: body)
                #expect(response.status.code < 500, "\(path): \(response.status) \(response.text)")
                if response.status.code >= 400 { try response.problem() }
            }
        }
    }

    @Test func invalidUTF8Is400() async throws {
        try await TestApp().test { client in
            var buffer = ByteBuffer(string: #"{"email":"a@b.dk","password":"x","name":""#)
            buffer.writeBytes([0xFF, 0xFE, 0xC3])
            buffer.writeString(#""}"#)
            let response = try await client.executeRequest(uri: "/v1/auth/signup", method: .post, headers: [.contentType: "application/json"], body: buffer)
            #expect(response.status == .badRequest)
            try response.problem()
        }
    }

    @Test func strangeQueriesNeverGive500() async throws {
        try await TestApp().test { client in
            for query in ["q=%22%20OR%201%3D1%20--", "q=NEAR(a%20b)%20AND%20*", "q=%E2%80%8B", "q=" + String(repeating: "a", count: 5000),
                          "region=%27%3B%20DROP%20TABLE%20person%3B", "tag=%00", "cursor=WyJhIl0", "limit=99999999999999999999999"] {
                for path in ["/v1/people", "/v1/organisations", "/v1/tags"] {
                    let response = try await client.request(.get, "\(path)?\(query)")
                    #expect(response.status.code < 500, "\(path)?\(query): \(response.status)")
                }
            }
        }
    }

    @Test func badTokensAre401WithAChallenge() async throws {
        try await TestApp().test { client in
            for header in ["Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer ", "bearer " + String(repeating: "x", count: 500)] {
                let response = try await client.executeRequest(uri: "/v1/tags", method: .get, headers: [.authorization: header], body: nil)
                #expect(response.status == .unauthorized, "\(header)")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                try response.problem()
            }
        }
    }
}
