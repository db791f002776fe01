import Foundation
import HummingbirdTesting
import Testing

/// Clients that misbehave at the HTTP level: they are answered or cut off as their fault, never
/// counted as the server's, and cannot hold a connection open by saying nothing.
@Suite struct SlowClientTests {
    @Test func aBodyCutShortIsTheClientsFaultAndAStalledConnectionIsClosed() async throws {
        let server = try await ServerProcess(environment: ["KOBLING_IDLE_TIMEOUT_SECONDS": "1"])
        let port = server.port
        // Fewer body bytes than the Content-Length says, then the client hangs up.
        try await blocking {
            let connection = try RawConnection(port: port)
            try connection.send(
                "POST /v1/auth/login HTTP/1.1\r\nHost: kobling.test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":")
        }
        // The server closes idle connections after a second, so the client's pooled one may be
        // gone by the next request: each read tries a fresh one once.
        @Sendable func metrics() async throws -> String {
            let response = try await { () async throws -> TestClient.Response in
                do { return try await server.get("/metrics", timeout: .seconds(5)) } catch { return try await server.get("/metrics", timeout: .seconds(5)) }
            }()
            return String(buffer: try #require(response.body))
        }
        try await waitUntil("the cut request is counted", timeout: .seconds(10)) {
            try await metrics().contains(#"http_requests_total{method="POST",route="/v1/auth/login",status="400"} 1"#)
        }
        let metrics = try await metrics()
        #expect(!metrics.contains(#"status="500""#), "\(metrics)")

        // Half the headers and then nothing: the server closes the connection.
        let closed = try await blocking {
            let connection = try RawConnection(port: port, receiveTimeout: 15)
            try connection.send("GET /v1/people HTTP/1.1\r\nHost: kobling.test\r\nAccept: appl")
            return connection.closedByServer()
        }
        #expect(closed, "the stalled connection was still open after 15 s")
        // A connection idle between requests is closed too.
        let idle = try await blocking {
            let connection = try RawConnection(port: port, receiveTimeout: 15)
            try connection.send("GET /health HTTP/1.1\r\nHost: kobling.test\r\n\r\n")
            return connection.closedByServer()
        }
        #expect(idle)
        let health = try await { () async throws -> TestClient.Response in
            do { return try await server.get("/health", timeout: .seconds(5)) } catch { return try await server.get("/health", timeout: .seconds(5)) }
        }()
        #expect(health.status == .ok)
    }
}
