/// Who may call an operation. Each route declares one; `APIRoutes` enforces it before the handler
/// runs, and the spec states the same value as `x-access` on the operation.
public enum Access: String, Sendable, CaseIterable {
    /// No credentials needed.
    case anyone
    /// Any signed-in account.
    case member
    /// The person the `{id}` path parameter names (their own profile), or an organiser.
    case owner
    /// An admin of the organisation the `{id}` path parameter names, or an organiser.
    case orgAdmin
    /// The author of the pitch the `{id}` path parameter names, or an organiser.
    case author
    /// Hub staff only.
    case organiser
}

/// One operation the API answers: method, path template as in the spec, and its access.
public struct Operation: Sendable, Hashable {
    public let method: String
    public let path: String
    public let access: Access
}
