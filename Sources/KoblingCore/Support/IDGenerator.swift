import Foundation

/// The one way Kobling makes identifiers: a type prefix and 128 random bits in lowercase
/// Crockford base32 (`per_3f8k...`). Ids are opaque and reveal no counts.
public struct IDGenerator: Sendable {
    private let make: @Sendable (String) -> String

    public init(_ make: @escaping @Sendable (String) -> String) {
        self.make = make
    }

    public func next(_ prefix: String) -> String {
        make(prefix)
    }

    public static let random = IDGenerator { prefix in
        // Two draws of 64 bits: the system generator reads the kernel's each time it is asked.
        var generator = SystemRandomNumberGenerator()
        let (high, low) = (generator.next(), generator.next())
        let bytes = (0..<16).map { index in UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> UInt64(8 * (index % 8))) }
        return prefix + "_" + Base32.encode(bytes)
    }
}

enum Base32 {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
        }
        if bits > 0 {
            output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
