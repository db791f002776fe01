import Foundation

/// Renders a message as RFC 5322 text with MIME parts in UTF-8. Non-ASCII header text is written
/// as RFC 2047 encoded words; bodies are quoted-printable so that every line stays within limits.
public enum MessageRenderer {
    public static func render(_ message: MailMessage, messageID: String, date: Date) -> String {
        var lines: [String] = []
        lines.append("Date: \(rfc5322Date(date))")
        lines.append("Message-ID: <\(messageID)>")
        lines.append(folded("From", mailbox(message.from)))
        lines.append(folded("To", message.to.map(mailbox).joined(separator: ", ")))
        if let replyTo = message.replyTo { lines.append(folded("Reply-To", mailbox(replyTo))) }
        lines.append(folded("Subject", encodedWord(message.subject)))
        for (name, value) in message.headers { lines.append(folded(name, value)) }
        lines.append("MIME-Version: 1.0")
        if let html = message.html {
            // "=_" cannot occur in quoted-printable text, so the boundary never meets a body line.
            let boundary = "=_kobling_" + String(decoding: messageID.utf8.filter(isAlphanumeric).prefix(32), as: UTF8.self)
            lines.append(folded("Content-Type", "multipart/alternative; boundary=\"\(boundary)\""))
            lines.append("")
            lines.append("--\(boundary)")
            lines.append(contentsOf: part(message.text, type: "text/plain"))
            lines.append("--\(boundary)")
            lines.append(contentsOf: part(html, type: "text/html"))
            lines.append("--\(boundary)--")
        } else {
            lines.append(contentsOf: part(message.text, type: "text/plain"))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
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

    private static func part(_ body: String, type: String) -> [String] {
        ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", QuotedPrintable.encode(body)]
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

    /// RFC 5322 date in UTC, written by hand: a DateFormatter per message costs more than the
    /// rest of rendering, and one shared formatter would need a lock.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { let value = value ?? 0; return value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[(parts.weekday ?? 1) - 1]), \(two(parts.day)) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}

public enum QuotedPrintable {
    /// RFC 2045 quoted-printable over UTF-8, with soft breaks keeping lines at most 76 characters.
    /// Line ends (CRLF, LF or CR) become CRLF; a space or tab before a line end is encoded. Works
    /// on bytes: a newsletter send encodes every message it sends.
    public static func encode(_ text: String) -> String {
        var text = text
        return text.withUTF8 { input in
            // At most three bytes out for each in, plus a soft break every 25 of them.
            let capacity = input.count * 3 + (input.count / 25 + 1) * 3
            return String(unsafeUninitializedCapacity: capacity) { output in
                encode(input, into: output)
            }
        }
    }

    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Encodes into `output`, which has room enough; answers how many bytes it wrote.
    private static func encode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        hex.withUnsafeBufferPointer { hex in
            var written = 0
            var lineLength = 0
            var index = 0
            let count = input.count
            while index < count {
                let byte = input[index]
                if byte == 13 || byte == 10 {
                    if byte == 13, index + 1 < count, input[index + 1] == 10 { index += 1 }
                    output[written] = 13
                    output[written + 1] = 10
                    written += 2
                    lineLength = 0
                    index += 1
                    continue
                }
                let literal: Bool
                if byte >= 33 && byte <= 126 {
                    literal = byte != 61
                } else if byte == 32 || byte == 9 {
                    // A space or tab before a line end would be lost in transport.
                    literal = index + 1 < count && input[index + 1] != 10 && input[index + 1] != 13
                } else {
                    literal = false
                }
                let width = literal ? 1 : 3
                if lineLength + width > 75 {
                    output[written] = 61
                    output[written + 1] = 13
                    output[written + 2] = 10
                    written += 3
                    lineLength = 0
                }
                if literal {
                    output[written] = byte
                } else {
                    output[written] = 61
                    output[written + 1] = hex[Int(byte >> 4)]
                    output[written + 2] = hex[Int(byte & 15)]
                }
                written += width
                lineLength += width
                index += 1
            }
            return written
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
