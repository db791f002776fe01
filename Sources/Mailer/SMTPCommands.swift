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
    static func mail(from sender: String, size: Int?) -> String {
        "MAIL FROM:<\(sender)>" + (size.map { " SIZE=\($0)" } ?? "") + "\r\n"
    }

    static func recipient(_ address: String) -> String {
        "RCPT TO:<\(address)>\r\n"
    }

    static let data = "DATA\r\n"
    static let reset = "RSET\r\n"

    /// The message as DATA carries it (RFC 5321 §4.5.2): a dot starting a line is doubled, lines
    /// end in CRLF, and a line holding only a dot ends it.
    static func dataBlock(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBufferPointer { input in
            // Each byte may become two (a dot doubled, a bare LF made CRLF), plus the ending.
            [UInt8](unsafeUninitializedCapacity: input.count * 2 + 5) { out, written in
                var count = 0
                var lineStart = true
                var previous: UInt8 = 0
                for byte in input {
                    if byte == 10 && previous != 13 {
                        out[count] = 13
                        count += 1
                    }
                    if lineStart && byte == 46 {
                        out[count] = 46
                        count += 1
                    }
                    out[count] = byte
                    count += 1
                    lineStart = byte == 10
                    previous = byte
                }
                if !lineStart {
                    out[count] = 13
                    out[count + 1] = 10
                    count += 2
                }
                out[count] = 46
                out[count + 1] = 13
                out[count + 2] = 10
                written = count + 3
            }
        }
    }
}
