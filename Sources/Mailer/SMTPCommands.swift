#if canImport(Glibc)
import Glibc
#endif

/// What the server said it can do in its EHLO reply (RFC 5321 §4.1.1.1).
struct SMTPCapabilities: Equatable {
    /// RFC 2920: commands of a transaction may be sent without waiting for each reply.
    var pipelining = false
    /// RFC 1870: the largest message the server takes, 0 when it names no limit.
    var size: Int?

    init() {}

    /// From the lines of an EHLO reply (the first line is the server's name).
    init(ehlo lines: [String]) {
        for line in lines.dropFirst() {
            let words = line.split(separator: " ")
            switch words.first?.uppercased() {
            case "PIPELINING": pipelining = true
            case "SIZE": size = words.count > 1 ? Int(words[1]) ?? 0 : 0
            default: break
            }
        }
    }
}

/// The bytes of a mail transaction (RFC 5321 §3.3), apart from the connection.
enum SMTPCommands {
    static func mail(from sender: String, size: Int?) -> [UInt8] {
        Array(("MAIL FROM:<\(sender)>" + (size.map { " SIZE=\($0)" } ?? "") + "\r\n").utf8)
    }

    static func recipient(_ address: String) -> [UInt8] {
        Array("RCPT TO:<\(address)>\r\n".utf8)
    }

    static let data = Array("DATA\r\n".utf8)
    static let reset = Array("RSET\r\n".utf8)

    /// The message as DATA carries it (RFC 5321 §4.5.2): a dot starting a line is doubled, lines
    /// end in CRLF, and a line holding only a dot ends it. A message that needs none of that
    /// (Kobling's own end every line in CRLF and encode a dot that starts one) is copied whole.
    static func dataBlock(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBufferPointer { input in
            var block = [UInt8]()
            if isClean(input) {
                block.reserveCapacity(input.count + 5)
                block += input
                if input.last != 10 { block += [13, 10] }
                block += [46, 13, 10]
                return block
            }
            // Line by line: each line's bytes are copied whole, with a dot doubled at its start
            // and a bare LF made CRLF at its end.
            block.reserveCapacity(input.count + input.count / 16 + 5)
            var start = 0
            while start < input.count {
                if input[start] == 46 { block.append(46) }
                let rest = UnsafeBufferPointer(rebasing: input[start...])
                guard let found = memchr(rest.baseAddress!, 10, rest.count) else {
                    block += rest
                    block += [13, 10]
                    break
                }
                let end = start + rest.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                block += UnsafeBufferPointer(rebasing: input[start..<end])
                if end == start || input[end - 1] != 13 { block.append(13) }
                block.append(10)
                start = end + 1
            }
            block += [46, 13, 10]
            return block
        }
    }

    /// Whether every LF follows a CR and no line starts with a dot, looking only at line ends.
    private static func isClean(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = input.baseAddress, input.first != 46 else { return input.isEmpty }
        var offset = 0
        while offset < input.count {
            guard let found = memchr(base + offset, 10, input.count - offset) else { return true }
            let index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if index == 0 || input[index - 1] != 13 { return false }
            if index + 1 < input.count && input[index + 1] == 46 { return false }
            offset = index + 1
        }
        return true
    }
}
