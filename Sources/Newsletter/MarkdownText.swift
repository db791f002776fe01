import Foundation

/// The plain-text part of an issue, from its Markdown: Markdown is already meant to be read as
/// text, so only what reads badly changes. Links become "text (url)", images their alt text,
/// strong emphasis loses its markers, and headings are underlined.
enum MarkdownText {
    static func plain(_ markdown: String) -> String {
        var lines: [String] = []
        for rawLine in markdown.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            var line = inline(String(rawLine))
            if let heading = line.firstMatch(of: /^(#{1,6})\s+(.*?)\s*#*\s*$/) {
                line = String(heading.2)
                lines.append(line)
                if heading.1.count <= 2 { lines.append(String(repeating: heading.1.count == 1 ? "=" : "-", count: max(line.count, 3))) }
                continue
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    private static func inline(_ line: String) -> String {
        line
            .replacing(/!\[([^\]]*)\]\([^)]*\)/) { String($0.1) }
            .replacing(/\[([^\]]+)\]\(([^)\s]+)[^)]*\)/) { "\($0.1) (\($0.2))" }
            .replacing(/\*\*(.+?)\*\*/) { String($0.1) }
            .replacing(/__(.+?)__/) { String($0.1) }
    }
}
