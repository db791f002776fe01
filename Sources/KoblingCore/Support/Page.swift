import Foundation

/// Keyset pagination shared by every list: a limit, and an opaque cursor that carries the sort
/// key of the last item seen.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let maximumLimit = 200

    public var limit: Int
    public var after: [String]?

    public init(limit: Int = PageRequest.defaultLimit, after: [String]? = nil) {
        self.limit = limit
        self.after = after
    }

    /// Reads `limit` and `cursor` query values, naming the parameter that is wrong.
    public init(limit rawLimit: String?, cursor rawCursor: String?) throws(KoblingError) {
        var errors: [FieldError] = []
        var limit = Self.defaultLimit
        if let rawLimit {
            if let value = Int(rawLimit), (1...Self.maximumLimit).contains(value) {
                limit = value
            } else {
                errors.append(FieldError(parameter: "limit", detail: "Expected a whole number from 1 to \(Self.maximumLimit)."))
            }
        }
        var after: [String]?
        if let rawCursor {
            if let key = Cursor.decode(rawCursor) {
                after = key
            } else {
                errors.append(FieldError(parameter: "cursor", detail: "Not a cursor this server gave out."))
            }
        }
        if !errors.isEmpty { throw .malformed("Invalid query parameters.", errors) }
        self.limit = limit
        self.after = after
    }
}

public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// Builds a page from up to `limit + 1` fetched rows: the extra row only says there is more.
    public init(fetched: [Item], limit: Int, key: (Item) -> [String]) {
        if fetched.count > limit {
            items = Array(fetched.prefix(limit))
            nextCursor = Cursor.encode(key(items[items.count - 1]))
        } else {
            items = fetched
            nextCursor = nil
        }
    }

    public func map<T>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), nextCursor: nextCursor)
    }
}

extension Page: Encodable where Item: Encodable {}

public enum Cursor {
    /// The key as a JSON array of strings, base64url: written by hand, since every page of
    /// every list makes one.
    public static func encode(_ key: [String]) -> String {
        var json: [UInt8] = [UInt8(ascii: "[")]
        for (position, part) in key.enumerated() {
            if position > 0 { json.append(UInt8(ascii: ",")) }
            json.append(UInt8(ascii: "\""))
            for byte in part.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): json += [UInt8(ascii: "\\"), byte]
                case 0..<0x20: json += Array(String(format: "\\u%04x", byte).utf8)
                default: json.append(byte)
                }
            }
            json.append(UInt8(ascii: "\""))
        }
        json.append(UInt8(ascii: "]"))
        return Data(json).base64URLEncoded()
    }

    public static func decode(_ cursor: String) -> [String]? {
        guard cursor.utf8.count <= 2048, let data = Data(base64URLEncoded: cursor) else { return nil }
        return try? JSONDecoder().decode([String].self, from: data)
    }
}
