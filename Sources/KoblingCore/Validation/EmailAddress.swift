/// An email address as Kobling stores it: trimmed, the domain lowercased, and the local part
/// lowercased too, since no mailbox provider our members use treats case as meaningful.
public struct EmailAddress: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public init?(_ raw: String) {
        let trimmed = raw.trimmingWhitespace().lowercased()
        guard trimmed.utf8.count <= 254 else { return nil }
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0]
        let domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty else { return nil }
        let forbidden: Set<Character> = [" ", "\t", "\r", "\n", "<", ">", "(", ")", ",", ";", ":", "\\", "\"", "[", "]"]
        guard !trimmed.contains(where: { forbidden.contains($0) || $0.isNewline || ($0.asciiValue.map { $0 < 32 || $0 == 127 } ?? false) })
        else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 && !$0.hasPrefix("-") && !$0.hasSuffix("-") })
        else { return nil }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return nil }
        value = trimmed
    }

    public var description: String { value }

    public var localPart: Substring { value[..<value.firstIndex(of: "@")!] }
}

extension String {
    public func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
