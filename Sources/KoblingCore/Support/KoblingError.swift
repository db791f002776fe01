/// The one error type of Kobling. Every failure a caller should see is one of these; the HTTP
/// layer maps each case to an RFC 9457 problem in one place.
public enum KoblingError: Error, Equatable, Sendable {
    /// The request could not be read: malformed JSON, a bad query parameter.
    case malformed(String, [FieldError] = [])
    /// No or bad credentials.
    case unauthenticated(String = "Sign in to do this.")
    /// Signed in, but not allowed.
    case forbidden(String = "You are not allowed to do this.")
    /// Not there, or not for this caller to see.
    case notFound(String = "There is nothing here.")
    /// The current state forbids the change, or it would make a duplicate.
    case conflict(String)
    /// An `If-Match` that no longer matches.
    case preconditionFailed(String = "The resource changed since you read it; read it again and retry.")
    case payloadTooLarge(limit: Int)
    case unsupportedMediaType(String)
    /// Well-formed but invalid: one entry a bad field.
    case invalid([FieldError])
    case tooManyRequests(retryAfterSeconds: Int, String)
    /// The server cannot take the request now (every database connection busy and too many
    /// waiting, or waiting too long); the caller may retry after the given time.
    case busy(retryAfterSeconds: Int, String)
    /// The database cannot record the change now (its disk is full, it was made read-only, or
    /// its disk fails); nothing was written, and the caller may retry after the given time.
    case storage(StorageFault, retryAfterSeconds: Int)

    public static func invalid(_ pointer: String, _ detail: String) -> KoblingError {
        .invalid([FieldError(pointer: pointer, detail: detail)])
    }
}

/// Why storage cannot take a write.
public enum StorageFault: String, Sendable, CaseIterable {
    case full = "storage-full"
    case readOnly = "storage-read-only"
    case failing = "storage-failing"

    /// What a client or an operator reads.
    public var detail: String {
        switch self {
        case .full: "The server's disk is full, so nothing can be saved now; nothing was changed. Try again later."
        case .readOnly: "The server's database is read-only now, so nothing can be saved; nothing was changed. Try again later."
        case .failing: "The server's disk failed to save the change; nothing was changed. Try again later."
        }
    }
}

/// One bad field: a JSON pointer into the body (`/email`) or, for a query parameter, its name.
public struct FieldError: Codable, Equatable, Sendable {
    public var pointer: String?
    public var parameter: String?
    public var detail: String

    public init(pointer: String, detail: String) {
        self.pointer = pointer
        self.detail = detail
    }

    public init(parameter: String, detail: String) {
        self.parameter = parameter
        self.detail = detail
    }
}

/// Collects field errors while validating a whole input, so the caller learns every problem at once.
public struct Validator: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func add(_ pointer: String, _ detail: String) {
        errors.append(FieldError(pointer: pointer, detail: detail))
    }

    public mutating func check(_ condition: Bool, _ pointer: String, _ detail: @autoclosure () -> String) {
        if !condition { add(pointer, detail()) }
    }

    public func finish() throws(KoblingError) {
        if !errors.isEmpty { throw .invalid(errors) }
    }

    /// Takes in the errors of a validator of a nested object, their pointers under `prefix`.
    public mutating func add(_ nested: Validator, under prefix: String) {
        for error in nested.errors { add(prefix + (error.pointer ?? ""), error.detail) }
    }
}
