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
            let boundary = "=_kobling_" + messageID.filter { $0.isLetter || $0.isNumber }.prefix(32)
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
        let unfolded = value.utf8.contains(13) ? value.replacingOccurrences(of: "\r\n ", with: " ") : value
        let words = unfolded.split(separator: " ", omittingEmptySubsequences: false)
        var lines: [String] = []
        var line = "\(name):"
        for word in words {
            if line.count + 1 + word.count > 78 && line != "\(name):" {
                lines.append(line)
                line = ""
            }
            line += " " + word
        }
        lines.append(line)
        return lines.joined(separator: "\r\n")
    }

    private static func part(_ body: String, type: String) -> [String] {
        ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", QuotedPrintable.encode(body)]
    }

    static func mailbox(_ mailbox: Mailbox) -> String {
        guard let name = mailbox.name, !name.isEmpty else { return mailbox.address }
        let isPlain = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == " " || $0 == "." || $0 == "-") }
        if isPlain { return "\(name) <\(mailbox.address)>" }
        // Printable ASCII with specials such as < , @ " becomes an RFC 5322 quoted string.
        if name.allSatisfy({ $0.isASCII && !$0.isNewline && ($0.asciiValue ?? 0) >= 32 }) {
            let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(quoted)\" <\(mailbox.address)>"
        }
        return "\(encodedWord(name)) <\(mailbox.address)>"
    }

    /// RFC 2047 B-encoding in words of at most 36 bytes of text (60 characters encoded), so that a
    /// word fits on a line after any usual header name.
    public static func encodedWord(_ text: String) -> String {
        guard text.contains(where: { !$0.isASCII || $0 == "\r" || $0 == "\n" }) else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 36 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
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
        let bytes = Array(text.utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8 + 16)
        var lineLength = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13 || byte == 10 {
                if byte == 13, index + 1 < bytes.count, bytes[index + 1] == 10 { index += 1 }
                output.append(13)
                output.append(10)
                lineLength = 0
                index += 1
                continue
            }
            let endsLine = index + 1 == bytes.count || bytes[index + 1] == 10 || bytes[index + 1] == 13
            let literal = (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && !endsLine)
            let width = literal ? 1 : 3
            if lineLength + width > 75 {
                output.append(contentsOf: [61, 13, 10])
                lineLength = 0
            }
            if literal {
                output.append(byte)
            } else {
                output.append(contentsOf: [61, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            }
            lineLength += width
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
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
