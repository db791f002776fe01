import KoblingCore

/// Who is reading, which decides what of each profile they see.
public enum Viewer: Sendable, Equatable {
    case anonymous
    case member(accountId: String)
    case organiser

    public init(_ caller: Caller?) {
        switch caller {
        case nil: self = .anonymous
        case let caller? where caller.isOrganiser: self = .organiser
        case let caller?: self = .member(accountId: caller.accountId)
        }
    }

    var isOrganiser: Bool { self == .organiser }

    var accountId: String? {
        if case .member(let id) = self { id } else { nil }
    }
}

/// The filters of the people directory. For anyone but the person and the organisers, a filter
/// only matches on fields the person made public.
public struct PeopleFilter: Sendable, Equatable {
    public var role: PersonRole?
    public var tag: String?
    public var language: String?
    public var region: String?
    public var text: String?
    public var matchable: Bool?

    public init(role: PersonRole? = nil, tag: String? = nil, language: String? = nil, region: String? = nil, text: String? = nil, matchable: Bool? = nil) {
        self.role = role
        self.tag = tag
        self.language = language
        self.region = region
        self.text = text
        self.matchable = matchable
    }
}

/// Rendered JSON documents joined by commas, ready to stand inside a JSON array.
public struct DocumentList: Sendable, Equatable {
    public var joined: [UInt8] = []
    public var count = 0
    public var nextCursor: String?

    public init() {}
}
