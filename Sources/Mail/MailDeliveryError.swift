/// Why a message did not go out, in terms the outbox acts on.
public struct MailDeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Try again later: a 4xx reply, a refused or dropped connection, a timeout.
        case transient
        /// This message to this recipient will not go through: a 5xx reply to the sender, a
        /// recipient or the data.
        case permanent
        /// The mail setup is wrong (no TLS where it is required, a certificate that does not
        /// verify, a refused login): nothing will go out until an operator mends it.
        case setup
    }

    /// The step of the SMTP conversation that failed.
    public enum Stage: String, Sendable {
        case connection, tls, authentication, sender, recipient, data
    }

    public var kind: Kind
    public var stage: Stage
    /// The server's reply code, when it gave one.
    public var code: Int?
    /// What the server said, or what went wrong on the way to it.
    public var detail: String

    public init(kind: Kind, stage: Stage, code: Int? = nil, detail: String) {
        self.kind = kind
        self.stage = stage
        self.code = code
        self.detail = detail
    }

    public enum Bounce: Sendable {
        /// The server refused the address for good (5xx): suppress it at once.
        case hard
        /// A passing refusal of the address (4xx, such as a full mailbox): suppress it when
        /// this keeps happening.
        case soft
    }

    /// The bounce this failure is: a reply refusing the recipient or its message. Nil for
    /// failures of the connection, the setup or the sender.
    public var bounce: Bounce? {
        guard stage == .recipient || stage == .data, let code else { return nil }
        switch code {
        case 500..<600: return .hard
        // 421 is the server closing the connection, not a word about the address.
        case 400..<500 where code != 421: return .soft
        default: return nil
        }
    }

    public var description: String {
        "\(kind.rawValue) failure at \(stage.rawValue)\(code.map { " (\($0))" } ?? ""): \(detail)"
    }
}
