import Foundation
import Hummingbird

/// The ceiling for the people-directory benchmark: a minimal Hummingbird server answering every
/// GET with the same bytes, read once from a file (a captured `/v1/people` response).
/// Usage: kobling-static-body BODY_FILE PORT
let arguments = CommandLine.arguments
guard arguments.count == 3, let body = FileManager.default.contents(atPath: arguments[1]), let port = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: kobling-static-body BODY_FILE PORT\n".utf8))
    exit(2)
}
let bytes = ByteBuffer(bytes: body)
let router = Router()
router.get("/v1/people") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: bytes))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
