import Foundation
import HTTPTypes
import Hummingbird
import KoblingCore

/// An RFC 9457 problem: the only shape an error leaves the server in.
struct Problem: Encodable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var errors: [FieldError]?

    static let contentType = "application/problem+json"

    init(status: HTTPResponse.Status, slug: String, detail: String, errors: [FieldError]? = nil) {
        type = "urn:kobling:problem:\(slug)"
        title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.errors = errors
    }

    init(_ error: KoblingError) {
        switch error {
        case .malformed(let detail, let errors):
            self.init(status: .badRequest, slug: "malformed-request", detail: detail, errors: errors.isEmpty ? nil : errors)
        case .unauthenticated(let detail):
            self.init(status: .unauthorized, slug: "unauthenticated", detail: detail)
        case .forbidden(let detail):
            self.init(status: .forbidden, slug: "forbidden", detail: detail)
        case .notFound(let detail):
            self.init(status: .notFound, slug: "not-found", detail: detail)
        case .conflict(let detail):
            self.init(status: .conflict, slug: "conflict", detail: detail)
        case .preconditionFailed(let detail):
            self.init(status: .preconditionFailed, slug: "precondition-failed", detail: detail)
        case .payloadTooLarge(let limit):
            self.init(status: .contentTooLarge, slug: "payload-too-large", detail: "The body is larger than \(limit) bytes.")
        case .unsupportedMediaType(let detail):
            self.init(status: .unsupportedMediaType, slug: "unsupported-media-type", detail: detail)
        case .invalid(let errors):
            self.init(status: .unprocessableContent, slug: "validation-failed", detail: "Some fields are invalid; see errors.", errors: errors)
        case .tooManyRequests(_, let detail):
            self.init(status: .tooManyRequests, slug: "too-many-requests", detail: detail)
        case .busy(_, let detail):
            self.init(status: .serviceUnavailable, slug: "busy", detail: detail)
        case .storage(let fault, _):
            self.init(status: .serviceUnavailable, slug: fault.rawValue, detail: fault.detail)
        }
    }

    /// Hummingbird's own errors (no route, a body over the limit) in problem form.
    init(_ error: HTTPError) {
        switch error.status {
        case .notFound:
            self.init(status: .notFound, slug: "not-found", detail: "No such resource.")
        case .contentTooLarge:
            self.init(status: .contentTooLarge, slug: "payload-too-large", detail: "The body is larger than \(RequestBody.limit) bytes.")
        case let status where status.code < 500:
            self.init(status: status, slug: "http-\(status.code)", detail: error.body ?? status.reasonPhrase)
        default:
            self.init(status: .internalServerError, slug: "internal", detail: "Something went wrong on our side; it has been logged.")
        }
    }

    func response(headers extra: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data()
        var headers = extra
        headers[.contentType] = Self.contentType
        headers[.cacheControl] = "no-store"
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension KoblingError {
    var extraHeaders: HTTPFields {
        switch self {
        case .tooManyRequests(let seconds, _), .busy(let seconds, _), .storage(_, let seconds): [.retryAfter: String(seconds)]
        case .unauthenticated: [.wwwAuthenticate: "Bearer realm=\"kobling\""]
        default: [:]
        }
    }
}
