/// The language Kobling writes to someone in: their own choice, kept on their account or
/// subscription, or the hub's default.
public enum PreferredLanguage: String, Sendable, Codable, CaseIterable {
    case da, en
}
