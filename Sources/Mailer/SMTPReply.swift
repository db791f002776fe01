/// A server's reply to one command: its code and its lines (RFC 5321 §4.2), e.g.
/// `250-mail.hub.dk` / `250 PIPELINING` is one reply with two lines.
struct SMTPReply: Equatable {
    var code: Int
    var lines: [String]

    /// The reply as one line, as logs and errors show it.
    var text: String {
        lines.isEmpty ? "\(code)" : lines.map { "\(code) \($0)" }.joined(separator: " / ")
    }

    var isPositive: Bool { (200..<400).contains(code) }
}

/// Reads replies out of the bytes a server sends, however they are split across reads.
struct SMTPReplyReader {
    struct Malformed: Error, CustomStringConvertible {
        let line: String
        var description: String { "the server sent something that is not an SMTP reply: \"\(line.prefix(80))\"" }
    }

    private var buffer: [UInt8] = []
    private var start = 0
    private var pending: (code: Int, lines: [String])?

    init() {}

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole reply, or nil until more bytes arrive.
    mutating func next() throws -> SMTPReply? {
        while let newline = buffer[start...].firstIndex(of: 10) {
            var end = newline
            if end > start && buffer[end - 1] == 13 { end -= 1 }
            let line = buffer[start..<end]
            start = newline + 1
            guard line.count >= 3, let code = Self.code(line), line.count == 3 || line[line.startIndex + 3] == 32 || line[line.startIndex + 3] == 45 else {
                throw Malformed(line: String(decoding: line, as: UTF8.self))
            }
            if let pending, pending.code != code {
                throw Malformed(line: String(decoding: line, as: UTF8.self))
            }
            let text = line.count > 4 ? String(decoding: line.dropFirst(4), as: UTF8.self) : ""
            var reply = pending ?? (code, [])
            if !text.isEmpty { reply.lines.append(text) }
            if line.count > 3 && line[line.startIndex + 3] == 45 {
                pending = reply
                continue
            }
            pending = nil
            if start == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            return SMTPReply(code: reply.code, lines: reply.lines)
        }
        return nil
    }

    private static func code(_ line: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in line.prefix(3) {
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return (200..<600).contains(value) ? value : nil
    }
}
