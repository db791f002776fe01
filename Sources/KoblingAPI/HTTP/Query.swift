import Foundation
import Hummingbird
import HummingbirdCore
import KoblingCore

/// Reads query parameters, collecting every bad one into a single 400.
struct Query {
    /// Parsed once, in order; the first value of a name counts.
    private let parameters: [(name: String, value: String)]
    private var errors: [FieldError] = []
    private let allowed: Set<String>

    init(_ request: Request, allowed: Set<String>) {
        parameters = Self.parse(request.uri.query ?? "")
        self.allowed = allowed.union(["limit", "cursor"])
    }

    /// Reads a query as browsers and curl write it (application/x-www-form-urlencoded): `+` is a
    /// space and `%2B` a plus, so the raw text is read here, before any percent-decoding.
    static func parse(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// `+` as a space and `%XX` as its byte, on the bytes (every list request reads its query, and
    /// Foundation's replacing and percent-decoding cost more than a page's SQL). Text that does
    /// not decode to UTF-8, or has a broken escape, is kept with only its `+` turned to spaces.
    static func decode(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(text) }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        let spaced = String(decoding: bytes.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) else { return spaced }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(validating: decoded, as: UTF8.self) ?? spaced
    }

    private func raw(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }

    func string(_ name: String, maxLength: Int = 200) -> String? {
        raw(name).flatMap { $0.isEmpty ? nil : String($0.prefix(maxLength)) }
    }

    mutating func enumeration<E: RawRepresentable<String> & CaseIterable>(_ name: String, _ type: E.Type) -> E? {
        guard let raw = string(name) else { return nil }
        if let value = E(rawValue: raw) { return value }
        errors.append(FieldError(parameter: name, detail: "Unknown value; expected one of \(E.allCases.map(\.rawValue).joined(separator: ", "))."))
        return nil
    }

    mutating func bool(_ name: String) -> Bool? {
        switch string(name) {
        case nil: return nil
        case "true": return true
        case "false": return false
        default:
            errors.append(FieldError(parameter: name, detail: "Expected true or false."))
            return nil
        }
    }

    mutating func language(_ name: String) -> String? {
        guard let raw = string(name) else { return nil }
        if LanguageCode.isValid(raw) { return raw }
        errors.append(FieldError(parameter: name, detail: "Expected an ISO 639-1 code such as da or en."))
        return nil
    }

    /// The page request; throws a 400 naming every bad parameter read so far.
    mutating func page() throws -> PageRequest {
        var page = PageRequest()
        do {
            page = try PageRequest(limit: raw("limit"), cursor: raw("cursor"))
        } catch {
            if case .malformed(_, let pageErrors) = error { errors += pageErrors }
        }
        for name in Set(parameters.map(\.name)).sorted() where !allowed.contains(name) {
            errors.append(FieldError(parameter: name, detail: "Unknown query parameter."))
        }
        if !errors.isEmpty { throw KoblingError.malformed("Invalid query parameters.", errors) }
        return page
    }
}
