import Foundation
import HTTPTypes
import Hummingbird
import KoblingCore
import NIOCore
import NIOHTTP1

/// Reads request bodies the one way Kobling accepts them: JSON, at most 1 MiB, as a JSON value
/// that each operation then checks field by field.
enum RequestBody {
    static let limit = 1 << 20

    static func json(_ request: Request, context: KoblingContext, mergePatch: Bool = false) async throws -> JSONValue {
        try checkContentType(request, mergePatch: mergePatch)
        let buffer = try await collect(request, limit: limit)
        guard buffer.readableBytes > 0 else {
            throw KoblingError.malformed("The body is empty; send a JSON object.")
        }
        let data = Data(buffer.readableBytesView)
        guard String(validatingUTF8Data: data) != nil else {
            throw KoblingError.malformed("The body is not valid UTF-8.")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw KoblingError.malformed("The body is not valid JSON: \(describe(error))")
        }
    }

    /// A JSON body that may be left out: nil for an empty body with no content type. A body sent
    /// without its type is refused (415), never taken for no body.
    static func optionalJSON(_ request: Request, context: KoblingContext) async throws -> JSONValue? {
        if request.headers[.contentType] != nil { return try await json(request, context: context) }
        guard try await collect(request, limit: limit).readableBytes == 0 else {
            throw KoblingError.unsupportedMediaType("Send the body as application/json.")
        }
        return nil
    }

    /// A UTF-8 text body of one media type (such as text/csv), at most `limit` bytes.
    static func text(_ request: Request, type: String, limit: Int) async throws -> String {
        guard mediaType(request) == type else { throw KoblingError.unsupportedMediaType("Send the body as \(type).") }
        let buffer = try await collect(request, limit: limit)
        guard let text = String(validatingUTF8Data: Data(buffer.readableBytesView)) else {
            throw KoblingError.malformed("The body is not valid UTF-8.")
        }
        return text
    }

    /// The request's media type without parameters, in lower case ("text/csv").
    private static func mediaType(_ request: Request) -> String? {
        request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// The body, refused with 413 past `limit` bytes (by its declared length or as it arrives).
    /// A body cut short (the client sent less than its Content-Length and hung up) is the
    /// client's fault: 400, not a server error.
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw KoblingError.payloadTooLarge(limit: limit)
        }
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw KoblingError.payloadTooLarge(limit: limit)
        } catch HTTPParserError.invalidEOFState {
            throw KoblingError.malformed("The body ended before its Content-Length: the connection closed early.")
        } catch let error as HTTPParserError {
            throw KoblingError.malformed("The body could not be read: \(error.debugDescription).")
        }
    }

    private static func checkContentType(_ request: Request, mergePatch: Bool) throws {
        let expected = mergePatch ? "application/merge-patch+json or application/json" : "application/json"
        guard let raw = request.headers[.contentType], let type = mediaType(request) else {
            throw KoblingError.unsupportedMediaType("Send the body as \(expected).")
        }
        let accepted = mergePatch ? ["application/json", "application/merge-patch+json"] : ["application/json"]
        guard accepted.contains(type) else {
            throw KoblingError.unsupportedMediaType("Send the body as \(expected), not \(raw.prefix(100)).")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let detail = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return detail ?? context.debugDescription
        }
        return "it could not be parsed."
    }
}

extension String {
    init?(validatingUTF8Data data: Data) {
        guard let value = String(data: data, encoding: .utf8) else { return nil }
        self = value
    }
}

/// Reads the fields of a JSON object body: required ones, optional ones and unknown ones, all
/// named in one 422.
struct BodyFields {
    private var patch: MergePatch

    init(_ body: JSONValue, allowed: Set<String>) throws(KoblingError) {
        patch = try MergePatch(body, allowed: allowed)
    }

    mutating func required(_ key: String, maxLength: Int) -> String? {
        if case .set(let value) = patch.string(key, maxLength: maxLength, allowEmpty: false, required: true) { return value }
        return nil
    }

    /// A secret is taken exactly as sent: no trimming.
    mutating func secret(_ key: String) -> String? {
        switch patch.raw(key) {
        case .string(let value)?: return value
        case nil: patch.validator.add("/\(key)", "Required.")
        case let other?: patch.validator.add("/\(key)", "Expected a string, got \(other.typeName).")
        }
        return nil
    }

    mutating func optional(_ key: String, maxLength: Int) -> String? {
        if case .set(let value) = patch.string(key, nullable: true, maxLength: maxLength) { return value }
        return nil
    }

    /// A field that must be `true`, such as a consent.
    mutating func agreed(_ key: String, _ detail: String) -> Bool {
        if case .bool(true)? = patch.raw(key) { return true }
        patch.validator.add("/\(key)", detail)
        return false
    }

    /// A language Kobling writes in: `.none` when the field is absent, `.some(nil)` when it is
    /// null (the hub's default).
    mutating func language(_ key: String) -> PreferredLanguage?? {
        let codes = PreferredLanguage.allCases.map(\.rawValue)
        switch patch.raw(key) {
        case nil: return .none
        case .null?: return .some(nil)
        case .string(let code)? where PreferredLanguage(rawValue: code) != nil: return .some(PreferredLanguage(rawValue: code))
        case .string?:
            patch.validator.add("/\(key)", "Kobling writes in \(codes.joined(separator: " or ")); expected one of those or null.")
            return .none
        case let other?:
            patch.validator.add("/\(key)", "Expected one of \(codes.joined(separator: ", ")) or null, got \(other.typeName).")
            return .none
        }
    }

    /// A required field that must be one of an enumeration's values ("Expected da or en.").
    mutating func required<Value: RawRepresentable & CaseIterable>(_ key: String, oneOf type: Value.Type) -> Value?
    where Value.RawValue == String {
        let codes = Value.allCases.map(\.rawValue)
        guard let raw = required(key, maxLength: 40) else { return nil }
        guard let value = Value(rawValue: raw) else {
            fail(key, "Expected \(codes.dropLast().joined(separator: ", "))\(codes.count > 1 ? " or " : "")\(codes.last ?? "").")
            return nil
        }
        return value
    }

    /// A required true or false.
    mutating func requiredBool(_ key: String) -> Bool? {
        switch patch.raw(key) {
        case .bool(let value)?: return value
        case nil: patch.validator.add("/\(key)", "Required.")
        case let other?: patch.validator.add("/\(key)", "Expected true or false, got \(other.typeName).")
        }
        return nil
    }

    mutating func fail(_ key: String, _ detail: String) {
        patch.validator.add("/\(key)", detail)
    }

    func finish() throws(KoblingError) {
        try patch.validator.finish()
    }
}
