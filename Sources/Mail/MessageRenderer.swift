import Foundation
import KoblingCore

/// Renders a message as RFC 5322 text with MIME parts in UTF-8. Non-ASCII header text is written
/// as RFC 2047 encoded words; bodies are quoted-printable so that every line stays within limits.
public enum MessageRenderer {
    public static func render(_ message: MailMessage, messageID: String, date: Date) -> String {
        String(decoding: MessageTemplate(message).render(to: message.to, values: [], messageID: messageID, date: date), as: UTF8.self)
    }

    /// A header line folded at spaces so that each line keeps within 78 characters where it can
    /// (RFC 5322 2.2.3); a single word longer than that, such as a long URL, stays whole.
    static func folded(_ name: String, _ value: String) -> String {
        if name.utf8.count + value.utf8.count + 2 <= 78 && !value.utf8.contains(13) { return "\(name): \(value)" }
        // Encoded words come folded already; unfold them to fold the whole line afresh.
        let unfolded = value.utf8.contains(13) ? unfold(value) : value
        var lines: [String] = []
        var line = "\(name):"
        var lineIsEmpty = true
        for word in unfolded.split(separator: " ", omittingEmptySubsequences: false) {
            if line.utf8.count + 1 + word.utf8.count > 78 && !lineIsEmpty {
                lines.append(line)
                line = ""
            }
            line += " " + word
            lineIsEmpty = false
        }
        lines.append(line)
        return lines.joined(separator: "\r\n")
    }

    /// Removes folding: a line break followed by a space is one space.
    private static func unfold(_ value: String) -> String {
        let bytes = Array(value.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 13, index + 2 < bytes.count, bytes[index + 1] == 10, bytes[index + 2] == 32 {
                index += 2
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }

    static func mailbox(_ mailbox: Mailbox) -> String {
        guard let name = mailbox.name, !name.isEmpty else { return mailbox.address }
        let isPlain = name.utf8.allSatisfy { isAlphanumeric($0) || $0 == 32 || $0 == 46 || $0 == 45 }
        if isPlain { return "\(name) <\(mailbox.address)>" }
        // Printable ASCII with specials such as < , @ " becomes an RFC 5322 quoted string.
        if name.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(quoted)\" <\(mailbox.address)>"
        }
        return "\(encodedWord(name)) <\(mailbox.address)>"
    }

    /// RFC 2047 B-encoding in words of at most 36 bytes of text (60 characters encoded), so that a
    /// word fits on a line after any usual header name. A word never splits a character's bytes.
    public static func encodedWord(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 >= 128 || $0 == 13 || $0 == 10 }) else { return text }
        var words: [String] = []
        var start = 0
        while start < bytes.count {
            var end = min(start + 36, bytes.count)
            // Back off to the first byte of a UTF-8 sequence.
            while end < bytes.count && end > start + 1 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
            words.append("=?UTF-8?B?\(Data(bytes[start..<end]).base64EncodedString())?=")
            start = end
        }
        return words.joined(separator: "\r\n ")
    }

    /// RFC 5322 date in UTC, computed rather than formatted: a DateFormatter or a Calendar per
    /// message costs more than the rest of rendering.
    static func rfc5322Date(_ date: Date) -> String {
        let time = Timestamp.UTCTime(date)
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(names[Int(time.weekday)]), \(two(time.day)) \(months[Int(time.month) - 1]) \(time.year) "
            + "\(two(time.hour)):\(two(time.minute)):\(two(time.second)) +0000"
    }
}

public enum QuotedPrintable {
    /// The longest line, soft break excluded (RFC 2045 §6.7 allows 76 with it).
    static let lineLimit = 75

    /// RFC 2045 quoted-printable over UTF-8, with soft breaks keeping lines at most 76 characters.
    /// Line ends (CRLF, LF or CR) become CRLF; a space or tab before a line end is encoded, and
    /// so is a dot starting a line.
    public static func encode(_ text: String) -> String {
        var output: [UInt8] = []
        var column = 0
        var text = text
        text.withUTF8 { encode($0, column: &column, into: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Appends `input` encoded to `output`, continuing a line already `column` characters long,
    /// and leaves `column` at the length of the last line. The end of `input` counts as a
    /// possible line end: a space or tab there is encoded.
    static func encode(_ input: UnsafeBufferPointer<UInt8>, column: inout Int, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + input.count + input.count / 8 + 16)
        hex.withUnsafeBufferPointer { hex in
            var index = 0
            let count = input.count
            while index < count {
                let byte = input[index]
                if byte == 13 || byte == 10 {
                    if byte == 13, index + 1 < count, input[index + 1] == 10 { index += 1 }
                    output.append(13)
                    output.append(10)
                    column = 0
                    index += 1
                    continue
                }
                var literal: Bool
                if byte >= 33 && byte <= 126 {
                    literal = byte != 61
                } else if byte == 32 || byte == 9 {
                    // A space or tab before a line end would be lost in transport.
                    literal = index + 1 < count && input[index + 1] != 10 && input[index + 1] != 13
                } else {
                    literal = false
                }
                var width = literal ? 1 : 3
                if column + width > lineLimit {
                    output.append(61)
                    output.append(13)
                    output.append(10)
                    column = 0
                }
                if byte == 46 && column == 0 {
                    // A dot starting a line would need doubling in SMTP's DATA; encoded, it never does.
                    literal = false
                    width = 3
                }
                if literal {
                    output.append(byte)
                } else {
                    output.append(61)
                    output.append(hex[Int(byte >> 4)])
                    output.append(hex[Int(byte & 15)])
                }
                column += width
                index += 1
            }
        }
    }

    /// A body with values in it, its fixed pieces encoded once. Each piece was encoded from the
    /// start of a line; where one would now start mid-line and make its first line too long, a
    /// soft break goes before it, so every line keeps within the limit and decodes to the text.
    struct Template: Sendable {
        private enum Piece: Sendable {
            /// Encoded bytes; the length of their first line (soft break excluded), whether
            /// they hold a line break, and the length of their last line.
            case encoded([UInt8], firstLine: Int, breaks: Bool, lastLine: Int)
            case value(Int)
        }

        private let pieces: [Piece]
        let sizeHint: Int

        init(_ text: TemplateText) {
            pieces = text.pieces.compactMap { piece in
                switch piece {
                case .value(let index):
                    return .value(index)
                case .text(var text):
                    guard !text.isEmpty else { return nil }
                    var bytes: [UInt8] = []
                    var column = 0
                    text.withUTF8 { encode($0, column: &column, into: &bytes) }
                    let firstBreak = bytes.firstIndex(of: 13)
                    var firstLine = firstBreak ?? bytes.count
                    if let firstBreak, firstBreak > 0, bytes[firstBreak - 1] == 61 { firstLine -= 1 }
                    return .encoded(bytes, firstLine: firstLine, breaks: firstBreak != nil, lastLine: column)
                }
            }
            sizeHint = pieces.reduce(0) { if case .encoded(let bytes, _, _, _) = $1 { $0 + bytes.count } else { $0 + 64 } }
        }

        func render(_ values: [String], into output: inout [UInt8]) {
            var column = 0
            for piece in pieces {
                switch piece {
                case .encoded(let bytes, let firstLine, let breaks, let lastLine):
                    if column > 0 && column + firstLine > lineLimit {
                        output += [61, 13, 10]
                        column = 0
                    }
                    output += bytes
                    column = breaks ? lastLine : column + lastLine
                case .value(let index):
                    var value = values[index]
                    value.withUTF8 { encode($0, column: &column, into: &output) }
                }
            }
        }
    }

    public static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=\n", with: "").utf8)
        var index = 0
        while index < input.count {
            if input[index] == 61, index + 2 < input.count, let value = UInt8(String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
