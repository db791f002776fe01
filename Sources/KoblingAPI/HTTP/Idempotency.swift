import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import KoblingCore
import NIOCore
import Storage

/// `Idempotency-Key` on creates: a retry with the same key and the same body gets the first
/// answer again instead of creating twice; the same key with another body is refused (422), and a
/// retry while the first is still running is told to wait (409). Keys live a day, per account.
enum Idempotency {
    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    static func respond(
        to request: Request, context: KoblingContext, database: AppDatabase,
        handler: (Request, KoblingContext) async throws -> Response
    ) async throws -> Response {
        guard let key = request.headers[header] else { return try await handler(request, context) }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw KoblingError.malformed(
                "Invalid Idempotency-Key.", [FieldError(parameter: "Idempotency-Key", detail: "Use 1 to 255 visible ASCII characters, such as a UUID.")])
        }
        var request = request
        let body = try await RequestBody.collect(request, limit: RequestBody.limit)
        // The handler reads the body again from the buffer.
        request.body = .init(buffer: body)
        var hasher = SHA256()
        hasher.update(data: Data("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        hasher.update(data: Data(body.readableBytesView))
        let requestHash = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let scope = (context.caller?.accountId ?? "anonymous") + " " + request.uri.path

        switch try await database.claimIdempotencyKey(scope: scope, key: key, requestHash: requestHash) {
        case .replay(let status, let headers, let stored):
            var fields = HTTPFields()
            for (name, value) in headers { if let name = HTTPField.Name(name) { fields[name] = value } }
            fields[replayed] = "true"
            return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: stored)))
        case .mismatch:
            throw KoblingError.invalid([FieldError(parameter: "Idempotency-Key", detail: "This key was used for a different request; use a new key.")])
        case .inProgress:
            throw KoblingError.conflict("A request with this Idempotency-Key is still being answered; retry shortly.")
        case .claimed:
            let response: Response
            do {
                response = try await handler(request, context)
            } catch {
                try await database.releaseIdempotencyKey(scope: scope, key: key)
                throw error
            }
            guard (200..<300).contains(response.status.code) else {
                try await database.releaseIdempotencyKey(scope: scope, key: key)
                return response
            }
            let collector = CollectingWriter()
            try await response.body.write(collector)
            var headers: [String: String] = [:]
            for field in response.headers where [.contentType, .eTag, .location].contains(field.name) {
                headers[field.name.canonicalName] = field.value
            }
            try await database.completeIdempotencyKey(
                scope: scope, key: key, status: response.status.code, headers: headers, body: Data(collector.buffer.readableBytesView))
            return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: collector.buffer))
        }
    }

    /// Gathers a response body so that it can be stored and sent.
    private final class CollectingWriter: ResponseBodyWriter {
        var buffer = ByteBuffer()

        func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            self.buffer.writeBuffer(&buffer)
        }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
