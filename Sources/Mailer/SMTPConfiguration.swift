import Foundation

/// Where and how to reach the SMTP server, from one URL:
///
///     smtp://USER:PASSWORD@HOST:587?tls=required&timeout=30&connections=4&ca=/etc/ssl/hub-ca.pem
///     smtps://USER:PASSWORD@HOST:465
///
/// `tls` is `required` (STARTTLS or nothing: a server without it is refused), `opportunistic`
/// (STARTTLS when offered, else plain text) or `none`; it defaults to `required`. `smtps` is TLS
/// from the first byte. User and password are percent-decoded. `timeout` is in seconds (default 30),
/// `connections` how many messages go out at once (default 4), `ca` a PEM file of certificates to
/// trust besides the system's.
public struct SMTPConfiguration: Sendable, Equatable {
    public enum TLS: String, Sendable {
        case required, opportunistic, none, implicit
    }

    public var url: String
    public var tls: TLS
    public var username: String?
    public var password: String?
    public var timeout: Int
    public var connections: Int
    public var certificateAuthorities: String?
    /// The name Kobling gives in EHLO; the host part of the sender address suits.
    public var heloName: String?

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(url text: String, heloName: String? = nil) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "smtp" || scheme == "smtps", let host = components.host, !host.isEmpty
        else {
            throw Invalid(description: "KOBLING_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465.")
        }
        var options: [String: String] = [:]
        for item in components.queryItems ?? [] { options[item.name] = item.value ?? "" }
        let known: Set<String> = ["tls", "timeout", "connections", "ca"]
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            throw Invalid(description: "KOBLING_SMTP_URL has an unknown option \"\(unknown)\"; the options are tls, timeout, connections and ca.")
        }
        if scheme == "smtps" {
            guard options["tls"] == nil || options["tls"] == "implicit" else {
                throw Invalid(description: "smtps:// is TLS from the start; leave out tls= or use smtp:// with STARTTLS.")
            }
            tls = .implicit
        } else if let value = options["tls"] {
            guard let mode = TLS(rawValue: value), mode != .implicit else {
                throw Invalid(description: "tls must be required, opportunistic or none, not \"\(value)\".")
            }
            tls = mode
        } else {
            tls = .required
        }
        timeout = try Self.number(options["timeout"], name: "timeout", default: 30, range: 1...600)
        connections = try Self.number(options["connections"], name: "connections", default: 4, range: 1...64)
        certificateAuthorities = options["ca"].flatMap { $0.isEmpty ? nil : $0 }
        username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let port = components.port ?? (scheme == "smtps" ? 465 : 587)
        let hostPart = host.contains(":") ? "[\(host)]" : host
        url = "\(scheme)://\(hostPart):\(port)"
        self.heloName = heloName
    }

    private static func number(_ text: String?, name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw Invalid(description: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\".")
        }
        return value
    }

    /// The URL without the password, for logs.
    public var redacted: String {
        username.map { url.replacingOccurrences(of: "://", with: "://\($0)@") } ?? url
    }
}
