import Foundation
import HTTPTypes
import HummingbirdTesting
import KoblingAPI
import Testing
import Yams

/// The spec is the contract: the router answers exactly its operations, each with the access the
/// spec declares, and every kind of caller gets the declared answer.
@Suite struct ContractTests {
    struct SpecOperation: Hashable, CustomStringConvertible {
        let method: String
        let path: String
        let access: String
        let statuses: Set<String>
        /// Statuses the spec answers with an HTML page (the pages emailed links open).
        var pageStatuses: Set<String> = []
        var description: String { "\(method) \(path)" }
    }

    static let specURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("openapi/openapi.yaml")

    /// No key of the spec is left without a value: a comma in a flow mapping's text (`{description:
    /// a, b}`) makes the rest a key of its own, which YAML reads as null and OpenAPI refuses.
    @Test func theSpecHasNoKeyWithoutAValue() throws {
        var empty: [String] = []
        func walk(_ node: Any?, _ path: String) {
            switch node {
            case let object as [String: Any]:
                for (key, value) in object { walk(value, path + "/" + key) }
            case let list as [Any]:
                // A list may hold null (a nullable enum's members).
                for (index, value) in list.enumerated() where !(value is NSNull) { walk(value, "\(path)[\(index)]") }
            case nil, is NSNull:
                empty.append(path)
            default:
                break
            }
        }
        walk(try Yams.load(yaml: String(contentsOf: Self.specURL, encoding: .utf8)), "")
        #expect(empty.isEmpty, "\(empty)")
    }

    static func specOperations() throws -> [SpecOperation] {
        let text = try String(contentsOf: specURL, encoding: .utf8)
        let spec = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(spec["openapi"] as? String == "3.1.0")
        let paths = try #require(spec["paths"] as? [String: Any])
        var operations: [SpecOperation] = []
        for (path, item) in paths {
            let item = try #require(item as? [String: Any])
            for (method, value) in item where ["get", "post", "put", "patch", "delete"].contains(method) {
                let operation = try #require(value as? [String: Any])
                let access = try #require(operation["x-access"] as? String, "\(method) \(path) declares no x-access")
                let responses = try #require(operation["responses"] as? [String: Any])
                #expect(operation["security"] != nil, "\(method) \(path) declares no security")
                let pages = responses.filter { (($0.value as? [String: Any])?["content"] as? [String: Any])?["text/html"] != nil }.keys
                operations.append(SpecOperation(
                    method: method.uppercased(), path: path, access: access, statuses: Set(responses.keys), pageStatuses: Set(pages)))
            }
        }
        return operations
    }

    @Test func everyRouteIsInTheSpecAndEveryOperationIsRouted() throws {
        let app = try TestApp()
        let routed = Set(buildRouter(app.services).operations.map { "\($0.method) \($0.path) \($0.access.rawValue)" })
        let specified = Set(try Self.specOperations().map { "\($0.method) \($0.path) \($0.access)" })
        #expect(routed.subtracting(specified).sorted() == [], "routed but not in the spec (or with another access)")
        #expect(specified.subtracting(routed).sorted() == [], "in the spec but not routed (or with another access)")
        #expect(routed.count >= 30)
    }

    @Test func theSpecIsServedAsWritten() async throws {
        let app = try TestApp()
        let expected = try Data(contentsOf: Self.specURL)
        try await app.test { client in
            let response = try await client.request(.get, "/openapi.yaml")
            #expect(response.status == .ok)
            #expect(Data(buffer: response.body) == expected)
        }
    }

    /// Protected operations document 401, and those that can refuse a signed-in caller 403.
    @Test func errorsOfAccessAreDocumented() throws {
        for operation in try Self.specOperations() where operation.access != "anyone" {
            #expect(operation.statuses.contains("401"), "\(operation) does not document 401")
            if operation.access != "member" {
                #expect(operation.statuses.contains("403"), "\(operation) does not document 403")
            }
        }
    }

    /// Every operation may meet a busy database (a token is looked up even where none is needed):
    /// each documents 503.
    @Test func everyOperationDocumentsThatTheServerMayBeBusy() throws {
        for operation in try Self.specOperations() {
            #expect(operation.statuses.contains("503"), "\(operation) does not document 503")
        }
    }

    /// Who calls, in the walk below.
    enum CallerKind: String, CaseIterable {
        case anonymous, stranger, owner, organiser
    }

    /// Walks every operation in the spec with each kind of caller, each on a fresh community:
    /// the owner is the person, organisation admin or member that the path names.
    @Test(arguments: try specOperations())
    func authorisationWalk(_ operation: SpecOperation) async throws {
        for caller in CallerKind.allCases {
            let app = try TestApp()
            try await app.makeOrganiser()
            let status = try await app.test { client in
                let owner = try await client.signup("owner@kobling.test", name: "Owner")
                let stranger = try await client.signup("stranger@kobling.test", name: "Stranger")
                let organiser = try await client.organiser()
                let organisation = try await client.request(
                    .post, "/v1/organisations", json: #"{"kind":"startup","name":"Owner's startup"}"#, as: owner
                ).json()["id"] as! String
                try await client.request(
                    .post, "/v1/tags", json: #"{"id":"walk-tag","kind":"skill","label":{"da":"Gå","en":"Walk"}}"#, as: organiser)
                let pitch = try await client.request(
                    .post, "/v1/pitches", json: #"{"title":"Walk","problem":"A problem to walk.","language":"en"}"#, as: owner
                ).json()["id"] as! String
                let mentoring = try await client.request(
                    .post, "/v1/mentoring-requests", json: #"{"title":"Walk","text":"A need to walk.","language":"en"}"#, as: owner
                ).json()["id"] as! String
                let id = operation.path.hasPrefix("/v1/people") ? owner.personId
                    : operation.path.hasPrefix("/v1/organisations") ? organisation
                    : operation.path.hasPrefix("/v1/pitches") ? pitch
                    : operation.path.hasPrefix("/v1/mentoring-requests") ? mentoring : "walk-tag"
                let uri = operation.path
                    .replacingOccurrences(of: "{id}", with: id)
                    .replacingOccurrences(of: "{personId}", with: owner.personId)
                    .replacingOccurrences(of: "{organisationId}", with: organisation)
                let user: Member? = switch caller {
                case .anonymous: nil
                case .stranger: stranger
                case .owner: owner
                case .organiser: organiser
                }
                let hasBody = ["POST", "PUT", "PATCH"].contains(operation.method)
                let response = try await client.request(
                    HTTPRequest.Method(operation.method)!, uri, json: hasBody ? "{}" : nil, as: user)
                if response.status.code >= 400 {
                    if operation.pageStatuses.contains(String(response.status.code)) {
                        #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(operation): \(response.status.code) is not a page")
                    } else {
                        try response.problem()
                    }
                }
                #expect(operation.statuses.contains(String(response.status.code)), "\(operation) as \(caller): \(response.status.code) is not in the spec")
                return response.status.code
            }
            let refused = status == 401 || status == 403
            switch (operation.access, caller) {
            case ("anyone", _):
                #expect(!refused, "\(operation) as \(caller) gave \(status)")
            case (_, .anonymous):
                #expect(status == 401, "\(operation) as \(caller) gave \(status)")
            case ("member", _):
                #expect(!refused, "\(operation) as \(caller) gave \(status)")
            case ("owner", .stranger), ("orgAdmin", .stranger), ("author", .stranger), ("organiser", .stranger), ("organiser", .owner):
                #expect(status == 403, "\(operation) as \(caller) gave \(status)")
            default:
                #expect(!refused, "\(operation) as \(caller) gave \(status)")
            }
        }
    }
}
