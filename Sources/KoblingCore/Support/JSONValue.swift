/// Any JSON value, for bodies whose shape is checked field by field (merge patches).
public enum JSONValue: Equatable, Sendable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON merge patch (RFC 7396) read against a known set of fields. Each accessor records a
/// field error instead of throwing, so that one answer names every bad field.
public struct MergePatch: Sendable {
    public enum Change<Value: Sendable>: Sendable {
        case absent
        case remove
        case set(Value)
    }

    private let fields: [String: JSONValue]
    public var validator = Validator()

    public init(_ body: JSONValue, allowed: Set<String>) throws(KoblingError) {
        guard case .object(let fields) = body else {
            throw .invalid("", "A merge patch must be a JSON object.")
        }
        self.fields = fields
        for key in fields.keys.sorted() where !allowed.contains(key) {
            validator.add("/\(key)", "Unknown or read-only field.")
        }
    }

    /// A string field; `required` makes its absence an error ("Required.").
    public mutating func string(
        _ key: String, nullable: Bool = false, maxLength: Int, allowEmpty: Bool = true, required: Bool = false
    ) -> Change<String> {
        switch fields[key] {
        case nil:
            if required { validator.add("/\(key)", "Required.") }
            return .absent
        case .null?:
            if nullable { return .remove }
            validator.add("/\(key)", "May not be null.")
        case .string(let raw)?:
            let value = raw.trimmingWhitespace()
            // Lengths count code points, as JSON Schema's maxLength does (not grapheme clusters,
            // which fold combining marks into the letter before them).
            if value.unicodeScalars.count > maxLength {
                validator.add("/\(key)", "At most \(maxLength) characters.")
            } else if value.isEmpty && !allowEmpty {
                validator.add("/\(key)", "May not be empty.")
            } else {
                return .set(value)
            }
        case let other?:
            validator.add("/\(key)", "Expected a string, got \(other.typeName).")
        }
        return .absent
    }

    public mutating func bool(_ key: String) -> Change<Bool> {
        switch fields[key] {
        case nil: return .absent
        case .bool(let value)?: return .set(value)
        case let other?: validator.add("/\(key)", "Expected a boolean, got \(other.typeName).")
        }
        return .absent
    }

    public mutating func integer(_ key: String, nullable: Bool = false, range: ClosedRange<Int>) -> Change<Int> {
        switch fields[key] {
        case nil: return .absent
        case .null?:
            if nullable { return .remove }
            validator.add("/\(key)", "May not be null.")
        case .number(let value)?:
            if value.rounded() == value, value >= Double(range.lowerBound), value <= Double(range.upperBound) {
                return .set(Int(value))
            }
            validator.add("/\(key)", "Expected a whole number from \(range.lowerBound) to \(range.upperBound).")
        case let other?:
            validator.add("/\(key)", "Expected a number, got \(other.typeName).")
        }
        return .absent
    }

    /// A number field within `range` (a fraction, a weight).
    public mutating func number(_ key: String, nullable: Bool = false, range: ClosedRange<Double>) -> Change<Double> {
        switch fields[key] {
        case nil: return .absent
        case .null?:
            if nullable { return .remove }
            validator.add("/\(key)", "May not be null.")
        case .number(let value)?:
            if range.contains(value) { return .set(value) }
            validator.add("/\(key)", "Expected a number from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound)).")
        case let other?:
            validator.add("/\(key)", "Expected a number, got \(other.typeName).")
        }
        return .absent
    }

    /// 1 as "1", 0.5 as "0.5".
    static func text(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }

    public mutating func strings(_ key: String, maxCount: Int, maxLength: Int) -> Change<[String]> {
        switch fields[key] {
        case nil: return .absent
        case .null?: return .set([])
        case .array(let items)?:
            guard items.count <= maxCount else {
                validator.add("/\(key)", "At most \(maxCount) items.")
                return .absent
            }
            var result: [String] = []
            var ok = true
            for (index, item) in items.enumerated() {
                if case .string(let value) = item, !value.trimmingWhitespace().isEmpty, value.unicodeScalars.count <= maxLength {
                    result.append(value.trimmingWhitespace())
                } else {
                    validator.add("/\(key)/\(index)", "Expected a non-empty string of at most \(maxLength) characters.")
                    ok = false
                }
            }
            return ok ? .set(result) : .absent
        case let other?:
            validator.add("/\(key)", "Expected an array, got \(other.typeName).")
        }
        return .absent
    }

    public func raw(_ key: String) -> JSONValue? {
        fields[key]
    }
}

extension MergePatch.Change {
    /// Applies the change to a value; `.remove` sets it to the given empty value.
    public func apply(to value: inout Value, removed: Value) {
        switch self {
        case .absent: break
        case .remove: value = removed
        case .set(let new): value = new
        }
    }
}

extension MergePatch.Change {
    /// Applies the change to an optional value; `.remove` clears it.
    public func apply(to value: inout Value?) {
        switch self {
        case .absent: break
        case .remove: value = nil
        case .set(let new): value = new
        }
    }
}
