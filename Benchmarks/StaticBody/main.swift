import Foundation
import Hummingbird

/// The ceiling for the read benchmarks: a minimal Hummingbird server answering each GET with the
/// bytes captured from Kobling for the same path and query, read once from files, and `/health`.
/// Usage: kobling-static-body PORT URI=FILE [URI=FILE ...]   (URI is path and query, "/v1/people?limit=50"; FILE has no "=")
let arguments = CommandLine.arguments
guard arguments.count >= 3, let port = Int(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: kobling-static-body PORT URI=FILE [URI=FILE ...]\n".utf8))
    exit(2)
}
struct Captured: Sendable {
    let type: String
    let body: ByteBuffer
}
var bodies: [String: Captured] = [:]
for argument in arguments.dropFirst(2) {
    guard let equals = argument.lastIndex(of: "="),
          let data = FileManager.default.contents(atPath: String(argument[argument.index(after: equals)...]))
    else {
        FileHandle.standardError.write(Data("cannot read \(argument)\n".utf8))
        exit(2)
    }
    let uri = String(argument[..<equals])
    let type = uri.hasSuffix(".yaml") ? "application/yaml; charset=utf-8"
        : uri.hasPrefix("/v1/") ? "application/json; charset=utf-8" : "text/html; charset=utf-8"
    bodies[uri] = Captured(type: type, body: ByteBuffer(bytes: data))
}
let table = bodies
let health = ByteBuffer(string: #"{"status":"ok"}"#)
let router = Router()
router.get("/health") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: health))
}
router.get("**") { request, _ in
    guard let captured = table[request.uri.description] else { return Response(status: .notFound) }
    return Response(status: .ok, headers: [.contentType: captured.type], body: .init(byteBuffer: captured.body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
