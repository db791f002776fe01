import Hummingbird
import HummingbirdCore
import KoblingCore

/// Reads query parameters, collecting every bad one into a single 400.
struct Query {
    /// Parsed once: `URI.queryParameters` parses on every access.
    private let parameters: FlatDictionary<Substring, Substring>
    private var errors: [FieldError] = []
    private let allowed: Set<String>

    init(_ request: Request, allowed: Set<String>) {
        parameters = request.uri.queryParameters
        self.allowed = allowed.union(["limit", "cursor"])
    }

    func string(_ name: String, maxLength: Int = 200) -> String? {
        parameters[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : String($0.prefix(maxLength)) }
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
            page = try PageRequest(limit: parameters["limit"].map(String.init), cursor: parameters["cursor"].map(String.init))
        } catch {
            if case .malformed(_, let pageErrors) = error { errors += pageErrors }
        }
        for (name, _) in parameters where !allowed.contains(String(name)) {
            errors.append(FieldError(parameter: String(name), detail: "Unknown query parameter."))
        }
        if !errors.isEmpty { throw KoblingError.malformed("Invalid query parameters.", errors) }
        return page
    }
}
