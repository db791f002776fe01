import Crypto
import Foundation

/// Bearer tokens and one-time links: 256 random bits, shown once, stored only as a SHA-256 hash.
public enum SecretToken {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64URLEncoded()
    }

    /// The stored form of a token: hex SHA-256.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension Data {
    /// Base64url (RFC 4648 §5) without padding, written byte by byte: cursors are encoded on
    /// every page of every list, where Foundation's string replacing cost more than the query.
    public func base64URLEncoded() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((count * 4 + 2) / 3)
        var index = startIndex
        while index < endIndex {
            let available = Swift.min(3, distance(from: index, to: endIndex))
            let b0 = self[index]
            let b1 = available > 1 ? self[self.index(index, offsetBy: 1)] : 0
            let b2 = available > 2 ? self[self.index(index, offsetBy: 2)] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            if available > 1 { output.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
            if available > 2 { output.append(alphabet[Int(b2 & 0x3F)]) }
            index = self.index(index, offsetBy: available)
        }
        return String(decoding: output, as: UTF8.self)
    }

    public init?(base64URLEncoded string: String) {
        var base64 = string
            .replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
