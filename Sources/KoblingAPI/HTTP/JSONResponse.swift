import Foundation
import HTTPTypes
import Hummingbird
import KoblingCore
import Storage

/// Builds JSON responses; one encoder setting for the whole API.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return raw(try encoder.encode(value), status: status, headers: headers)
    }

    static func raw(_ data: some Sequence<UInt8>, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A page whose items are JSON documents rendered ahead of time.
    static func page(ofDocuments list: DocumentList) -> Response {
        items(list, paged: true)
    }

    /// Every item, JSON documents rendered ahead of time, for the short lists that have no pages.
    static func items(ofDocuments list: DocumentList) -> Response {
        items(list, paged: false)
    }

    private static func items(_ list: DocumentList, paged: Bool) -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(list.joined.count + 64)
        buffer.writeStaticString("{\"items\":[")
        buffer.writeBytes(list.joined)
        if paged {
            buffer.writeStaticString("],\"nextCursor\":")
            // Cursors are base64url: no character in them needs escaping.
            buffer.writeString(list.nextCursor.map { "\"\($0)\"" } ?? "null")
            buffer.writeStaticString("}")
        } else {
            buffer.writeStaticString("]}")
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: buffer))
    }

    /// One document rendered ahead of time, with its ETag when it has a version.
    static func document(_ document: StoredDocument, status: HTTPResponse.Status = .ok) -> Response {
        raw(document.bytes, status: status, headers: document.version.map { [.eTag: EntityTag.make(version: $0)] } ?? [:])
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }
}

/// `{"items": [...], "nextCursor": "..." | null}`: every list in the API.
struct ListBody<Item: Encodable & Sendable>: Encodable {
    let page: Page<Item>

    enum CodingKeys: String, CodingKey { case items, nextCursor }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(page.items, forKey: .items)
        if let cursor = page.nextCursor { try container.encode(cursor, forKey: .nextCursor) } else { try container.encodeNil(forKey: .nextCursor) }
    }
}

/// Entity tags carry the resource's version: `"v3"`.
enum EntityTag {
    static func make(version: Int) -> String { "\"v\(version)\"" }

    /// The version an `If-Match` asks for; nil when absent or `*`. A value that names no version
    /// this server gave out can never match, so it fails as a stale one would.
    static func expectedVersion(_ request: Request) throws -> Int? {
        guard let raw = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), raw != "*" else { return nil }
        let value = raw.hasPrefix("W/") ? String(raw.dropFirst(2)) : raw
        guard value.hasPrefix("\"v"), value.hasSuffix("\""), value.count > 3, let version = Int(value.dropFirst(2).dropLast()) else {
            throw KoblingError.preconditionFailed("If-Match must be an ETag this server gave out, such as \"v3\".")
        }
        return version
    }
}
