import Foundation
import GRDB
import NIOConcurrencyHelpers
import HTTPTypes
import Hummingbird
import KoblingCore
import Logging
import Prometheus
import Storage

/// Outermost: a request id on the log and the response, and Prometheus counts and latencies by
/// route template and status.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = KoblingContext
    let metrics: RequestMetrics

    static let requestIDHeader = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[Self.requestIDHeader] = context.id
        let elapsed = ContinuousClock.now - start
        metrics.record(method: request.method, route: context.endpointPath ?? "unmatched", status: response.status.code, elapsed: elapsed)
        context.logger.log(
            level: response.status.code >= 500 ? .error : .info, "request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                "ms": "\(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)",
            ])
        return response
    }
}

/// The request counter and latency histogram of each (method, route, status), made once and
/// kept, since asking the registry validates names and labels on every call.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        let method: HTTPRequest.Method
        let route: String
        let status: Int
    }

    private let registry: PrometheusCollectorRegistry
    private let instruments = NIOLockedValueBox<[Key: (Prometheus.Counter, DurationHistogram)]>([:])

    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func record(method: HTTPRequest.Method, route: String, status: Int, elapsed: Duration) {
        let key = Key(method: method, route: route, status: status)
        let (counter, histogram) = instruments.withLockedValue { instruments in
            if let existing = instruments[key] { return existing }
            let labels = [("method", method.rawValue), ("route", route), ("status", String(status))]
            let made = (
                registry.makeCounter(
                    descriptor: MetricNameDescriptor(
                        namespace: "http", metricName: "requests", unitName: "total",
                        helpText: "HTTP requests answered, by method, route and status."),
                    labels: labels),
                registry.makeDurationHistogram(
                    descriptor: MetricNameDescriptor(
                        namespace: "http", metricName: "request_duration", unitName: "seconds",
                        helpText: "Time to answer HTTP requests, by method, route and status."),
                    labels: labels, buckets: Self.buckets)
            )
            instruments[key] = made
            return made
        }
        counter.increment()
        histogram.record(elapsed)
    }
}

/// Turns every error into an RFC 9457 problem, so that no error leaves in any other shape and no
/// internal detail leaves at all.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = KoblingContext
    let operations: OperationTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as KoblingError {
            return Problem(error).response(headers: error.extraHeaders)
        } catch let error as HTTPError {
            if error.status == .notFound, context.endpointPath == "NotFound" {
                let allowed = operations.methods(matching: request.uri.path)
                if !allowed.isEmpty {
                    let detail = "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: ", "))."
                    return Problem(status: .methodNotAllowed, slug: "method-not-allowed", detail: detail)
                        .response(headers: [.allow: allowed.joined(separator: ", ")])
                }
            }
            if error.status.code >= 500 { context.logger.error("internal error", metadata: ["error": "\(error)"]) }
            return Problem(error).response()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            // A uniqueness race lost to a concurrent request: the same answer a duplicate gets.
            context.logger.notice("constraint", metadata: ["error": "\(error.resultCode)"])
            return Problem(.conflict("This conflicts with a change made at the same time; read again and retry.")).response()
        } catch {
            context.logger.error("internal error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(HTTPError(.internalServerError)).response()
        }
    }
}

/// Reads a bearer token, if any, into the caller. A token that is unknown or expired is a 401
/// even where no sign-in is needed, so a client learns at once that its session is gone.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = KoblingContext
    let database: AppDatabase

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw KoblingError.unauthenticated("Use an Authorization header of the form \"Bearer TOKEN\".")
        }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= 200,
            let caller = try await database.caller(tokenHash: SecretToken.hash(token))
        else {
            throw KoblingError.unauthenticated("The token is unknown or expired; log in again.")
        }
        var context = context
        context.caller = caller
        context.logger[metadataKey: "account"] = "\(caller.accountId)"
        return try await next(request, context)
    }
}
