import _CryptoExtras
import Crypto
import Foundation

/// DKIM signatures (RFC 6376): RSA-SHA256 with relaxed canonicalisation of headers and body, so
/// that receivers can check the mail came from the hub's domain and was not changed on the way.
/// The large mailbox providers require it of bulk senders, with `List-Unsubscribe` and
/// `List-Unsubscribe-Post` among the signed headers; those are signed whenever present.
public struct DKIMSigner: Sendable {
    public let domain: String
    public let selector: String
    private let key: _RSA.Signing.PrivateKey

    /// The headers signed when the message has them, in this order.
    static let signedHeaders = [
        "from", "to", "reply-to", "subject", "date", "message-id", "mime-version", "content-type",
        "list-unsubscribe", "list-unsubscribe-post", "list-id",
    ]

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameter pem: an RSA private key in PEM (PKCS#1 or PKCS#8), 1024 bits or more.
    public init(domain: String, selector: String, privateKeyPEM pem: String) throws {
        guard !domain.isEmpty, !selector.isEmpty else { throw Invalid(description: "DKIM needs a domain and a selector.") }
        do {
            key = try _RSA.Signing.PrivateKey(unsafePEMRepresentation: pem)
        } catch {
            throw Invalid(description: "The DKIM key is not an RSA private key in PEM form: \(error)")
        }
        guard key.keySizeInBits >= 1024 else { throw Invalid(description: "The DKIM key must have at least 1024 bits.") }
        self.domain = domain
        self.selector = selector
    }

    /// The message with a DKIM-Signature header in front. `message` is a whole RFC 5322 message
    /// with CRLF line ends, as `MessageRenderer` writes it.
    public func sign(_ message: String, at time: Date = Date()) throws -> String {
        let (headerText, body) = Self.split(message)
        let headers = Self.parseHeaders(headerText)
        let bodyHash = Data(SHA256.hash(data: Data(Self.relaxedBody(body).utf8))).base64EncodedString()
        var present: [(name: String, field: String)] = []
        for name in Self.signedHeaders {
            if let field = headers.last(where: { $0.name.lowercased() == name }) { present.append((name, field.field)) }
        }
        let tags = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=\(domain); s=\(selector); t=\(Int(time.timeIntervalSince1970)); "
            + "h=\(present.map(\.name).joined(separator: ":")); bh=\(bodyHash); b="
        var input = present.map { Self.relaxedHeader($0.field) + "\r\n" }.joined()
        input += Self.relaxedHeader("DKIM-Signature: " + tags)
        let signature = try key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5)
        let value = signature.rawRepresentation.base64EncodedString()
        // Folded every 64 characters; verifiers ignore whitespace in b=.
        var chunks: [String] = []
        var rest = Substring(value)
        while !rest.isEmpty {
            chunks.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        let field = "DKIM-Signature: " + tags.replacingOccurrences(of: "; h=", with: ";\r\n h=").replacingOccurrences(of: "; bh=", with: ";\r\n bh=")
            + "\r\n " + chunks.joined(separator: "\r\n ")
        return field + "\r\n" + message
    }

    static func split(_ message: String) -> (headers: String, body: String) {
        guard let range = message.range(of: "\r\n\r\n") else { return (message, "") }
        return (String(message[..<range.lowerBound]) + "\r\n", String(message[range.upperBound...]))
    }

    /// Each header field whole, continuation lines included.
    static func parseHeaders(_ text: String) -> [(name: String, field: String)] {
        var fields: [String] = []
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            if line.first == " " || line.first == "\t", !fields.isEmpty {
                fields[fields.count - 1] += "\r\n" + line
            } else {
                fields.append(line)
            }
        }
        return fields.map { field in (String(field.prefix { $0 != ":" }), field) }
    }

    /// RFC 6376 3.4.2: name in lower case, unfolded, runs of whitespace as one space, none at the
    /// end or around the colon.
    static func relaxedHeader(_ field: String) -> String {
        let unfolded = field.replacingOccurrences(of: "\r\n", with: "")
        guard let colon = unfolded.firstIndex(of: ":") else { return unfolded }
        let name = unfolded[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = collapse(String(unfolded[unfolded.index(after: colon)...])).trimmingCharacters(in: .whitespaces)
        return "\(name):\(value)"
    }

    /// RFC 6376 3.4.4: runs of whitespace in a line as one space, none at line ends, no empty lines
    /// at the end, and a final CRLF unless the body is empty.
    static func relaxedBody(_ body: String) -> String {
        var lines = body.components(separatedBy: "\r\n").map { line -> String in
            var collapsed = collapse(line)
            while collapsed.last == " " { collapsed.removeLast() }
            return collapsed
        }
        while lines.last == "" { lines.removeLast() }
        return lines.isEmpty ? "" : lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func collapse(_ text: String) -> String {
        var result = ""
        var inSpace = false
        for character in text {
            if character == " " || character == "\t" {
                if !inSpace { result.append(" ") }
                inSpace = true
            } else {
                result.append(character)
                inSpace = false
            }
        }
        return result
    }
}
