import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KoblingAPI

/// For container health checks and monitors: exits 0 when the server's `/ready` answers 200 (the
/// database answers and is migrated), 1 otherwise, saying why.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when the server answers /ready with 200, 1 when not (for HEALTHCHECK and monitors).")

    @Option(help: "The server's base URL (default http://127.0.0.1:KOBLING_PORT, or KOBLING_HOST when it is not a wildcard).")
    var url: String?
    @Option(help: "Seconds to wait for the answer.") var timeout: Double = 3

    func run() async throws {
        let configuration = try AppConfiguration.fromEnvironment()
        let host = ["0.0.0.0", "::", ""].contains(configuration.host) ? "127.0.0.1" : configuration.host
        let base = url ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(configuration.port)"
        guard let ready = URL(string: (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/ready") else {
            throw ValidationError("\"\(base)\" is not a URL.")
        }
        var request = URLRequest(url: ready, timeoutInterval: timeout)
        request.httpMethod = "GET"
        let session = URLSession(configuration: .ephemeral)
        do {
            let (body, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200 else {
                print("not ready: \(ready) answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
                throw ExitCode.failure
            }
            print("ready: \(ready)")
        } catch let error as ExitCode {
            throw error
        } catch {
            print("not ready: \(ready): \(error.localizedDescription)")
            throw ExitCode.failure
        }
    }
}
