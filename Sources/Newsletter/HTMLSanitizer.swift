/// Cleans HTML by an allowlist: what an organiser's Markdown may contain (Ink passes raw HTML
/// through) reaches the archive pages and readers' inboxes, so only formatting elements survive,
/// with a few attributes each, and links and images only with http, https, mailto or relative
/// URLs. Scripts, styles, frames, forms and event handlers are removed, with the content of those
/// that hold code; other unknown elements lose their tags but keep their text. The output is
/// rebuilt from what was kept (attributes quoted and escaped, every element closed), so nothing
/// the input smuggled in its syntax survives.
public enum HTMLSanitizer {
    static let allowed: [String: Set<String>] = {
        var elements: [String: Set<String>] = [:]
        for name in ["p", "br", "hr", "b", "i", "u", "s", "em", "strong", "del", "sub", "sup", "code", "pre", "blockquote",
                     "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "span", "div", "abbr", "table", "thead", "tbody", "tr"] {
            elements[name] = ["title"]
        }
        elements["a"] = ["href", "title"]
        elements["img"] = ["src", "alt", "title", "width", "height"]
        elements["td"] = ["colspan", "rowspan", "align", "title"]
        elements["th"] = ["colspan", "rowspan", "align", "title"]
        elements["ol"] = ["start", "title"]
        return elements
    }()
    static let void: Set<String> = ["br", "hr", "img"]
    /// Elements removed with everything inside them.
    static let dropped: Set<String> = ["script", "style", "iframe", "object", "embed", "template", "noscript", "textarea",
                                       "select", "svg", "math", "title", "head", "frame", "frameset", "applet", "noembed", "xmp"]
    static let urlAttributes: Set<String> = ["href", "src"]

    public static func clean(_ html: String) -> String {
        var scanner = Scanner(Array(html.utf8))
        var output: [UInt8] = []
        output.reserveCapacity(html.utf8.count)
        var open: [String] = []
        while let token = scanner.next() {
            switch token {
            case .text(let bytes):
                output += bytes
            case .start(let name, let attributes):
                if dropped.contains(name) {
                    if !void.contains(name) { scanner.skip(until: name) }
                    continue
                }
                guard let permitted = allowed[name] else { continue }
                output += Array("<\(name)".utf8)
                for (attribute, value) in attributes where permitted.contains(attribute) {
                    if urlAttributes.contains(attribute) && !isSafeURL(value) { continue }
                    output += Array(" \(attribute)=\"\(escape(value))\"".utf8)
                }
                output.append(UInt8(ascii: ">"))
                if !void.contains(name) { open.append(name) }
            case .end(let name):
                guard let index = open.lastIndex(of: name) else { continue }
                for closing in open[index...].reversed() { output += Array("</\(closing)>".utf8) }
                open.removeSubrange(index...)
            }
        }
        for closing in open.reversed() { output += Array("</\(closing)>".utf8) }
        return String(decoding: output, as: UTF8.self)
    }

    /// http, https, mailto, or a URL without a scheme; read as a browser would, after entities
    /// and the blanks and control characters browsers ignore.
    static func isSafeURL(_ value: String) -> Bool {
        let folded = String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F })).lowercased()
        guard let colon = folded.firstIndex(of: ":") else { return true }
        let beforeColon = folded[..<colon]
        if beforeColon.contains(where: { "/?#".contains($0) }) { return true }
        return ["http", "https", "mailto"].contains(String(beforeColon))
    }

    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    enum Token {
        case text([UInt8])
        case start(String, [(String, String)])
        case end(String)
    }

    /// Reads HTML into text, start tags and end tags; comments, doctypes and processing
    /// instructions are passed over. A `<` that starts no tag is text, escaped.
    struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func next() -> Token? {
            guard position < bytes.count else { return nil }
            if bytes[position] != UInt8(ascii: "<") {
                let start = position
                while position < bytes.count, bytes[position] != UInt8(ascii: "<") { position += 1 }
                return .text(Self.escapeText(bytes[start..<position]))
            }
            let next = position + 1 < bytes.count ? bytes[position + 1] : 0
            if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
                let isComment = bytes[position...].starts(with: Array("<!--".utf8))
                position = isComment ? (find(Array("-->".utf8), from: position + 4).map { $0 + 3 } ?? bytes.count)
                    : (find([UInt8(ascii: ">")], from: position).map { $0 + 1 } ?? bytes.count)
                return .text([])
            }
            if next == UInt8(ascii: "/") {
                guard position + 2 < bytes.count, Self.isLetter(bytes[position + 2]) else { return escapedLessThan() }
                position += 2
                let name = readName()
                position = find([UInt8(ascii: ">")], from: position).map { $0 + 1 } ?? bytes.count
                return .end(name)
            }
            guard Self.isLetter(next) else { return escapedLessThan() }
            position += 1
            let name = readName()
            var attributes: [(String, String)] = []
            while position < bytes.count {
                skipBlanks()
                guard position < bytes.count else { break }
                let byte = bytes[position]
                if byte == UInt8(ascii: ">") { position += 1; break }
                // A self-closing slash changes nothing: void elements are known by name.
                if byte == UInt8(ascii: "/") { position += 1; continue }
                let attribute = readName()
                if attribute.isEmpty { position += 1; continue }
                skipBlanks()
                var value = ""
                if position < bytes.count, bytes[position] == UInt8(ascii: "=") {
                    position += 1
                    skipBlanks()
                    value = Self.decodeEntities(readValue())
                }
                attributes.append((attribute, value))
            }
            return .start(name, attributes)
        }

        /// Moves past the end tag of `name` (the content of a dropped element).
        mutating func skip(until name: String) {
            let closing = Array("</\(name)".utf8)
            while position < bytes.count {
                guard let found = find([UInt8(ascii: "<")], from: position) else { position = bytes.count; return }
                let candidate = bytes[found..<min(found + closing.count, bytes.count)].map(Self.lower)
                if candidate == closing {
                    position = find([UInt8(ascii: ">")], from: found).map { $0 + 1 } ?? bytes.count
                    return
                }
                position = found + 1
            }
        }

        private mutating func escapedLessThan() -> Token {
            position += 1
            return .text(Array("&lt;".utf8))
        }

        private mutating func readName() -> String {
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte <= 0x20 || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=") { break }
                position += 1
            }
            return String(decoding: bytes[start..<position].map(Self.lower), as: UTF8.self)
        }

        private mutating func readValue() -> String {
            guard position < bytes.count else { return "" }
            let quote = bytes[position]
            if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                let start = position + 1
                let end = find([quote], from: start) ?? bytes.count
                position = min(end + 1, bytes.count)
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            let start = position
            while position < bytes.count, bytes[position] > 0x20, bytes[position] != UInt8(ascii: ">") { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        private mutating func skipBlanks() {
            while position < bytes.count, bytes[position] <= 0x20 { position += 1 }
        }

        private func find(_ needle: [UInt8], from start: Int) -> Int? {
            guard needle.count <= bytes.count else { return nil }
            var index = start
            while index + needle.count <= bytes.count {
                if bytes[index] == needle[0] && bytes[index..<index + needle.count].elementsEqual(needle) { return index }
                index += 1
            }
            return nil
        }

        static func isLetter(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        }

        static func lower(_ byte: UInt8) -> UInt8 {
            byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
        }

        /// Text as it was, but for a `>` (harmless, escaped anyway so that the output has none loose).
        static func escapeText(_ text: ArraySlice<UInt8>) -> [UInt8] {
            var escaped: [UInt8] = []
            escaped.reserveCapacity(text.count)
            for byte in text {
                if byte == UInt8(ascii: ">") { escaped += Array("&gt;".utf8) } else { escaped.append(byte) }
            }
            return escaped
        }

        /// Numeric character references and the named ones that matter for URLs and text.
        static func decodeEntities(_ value: String) -> String {
            guard value.contains("&") else { return value }
            let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "colon": ":",
                                           "tab": "\t", "newline": "\n", "nbsp": "\u{A0}", "sol": "/", "lpar": "(", "rpar": ")"]
            var result = ""
            var rest = value[...]
            while let ampersand = rest.firstIndex(of: "&") {
                result += rest[..<ampersand]
                let after = rest[rest.index(after: ampersand)...]
                let body = after.prefix { $0.isLetter || $0.isNumber || $0 == "#" }
                var decoded: String?
                if body.hasPrefix("#x") || body.hasPrefix("#X") {
                    decoded = UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
                } else if body.hasPrefix("#") {
                    decoded = UInt32(body.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
                } else {
                    decoded = named[body.lowercased()]
                }
                if let decoded {
                    result += decoded
                    rest = after[body.endIndex...]
                    if rest.first == ";" { rest = rest.dropFirst() }
                } else {
                    result += "&"
                    rest = after
                }
            }
            return result + rest
        }
    }
}
