import Foundation

/// Text with places for one recipient's own values (their name, their unsubscribe link): pieces
/// of fixed text, and values by their index in the list given when rendering.
public struct TemplateText: Sendable, Equatable {
    public enum Piece: Sendable, Equatable {
        case text(String)
        case value(Int)
    }

    public var pieces: [Piece]

    public init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// Fixed text, with no values.
    public init(_ text: String) {
        pieces = [.text(text)]
    }

    var isFixed: Bool {
        pieces.allSatisfy { if case .text = $0 { true } else { false } }
    }

    public func joined(_ values: [String]) -> String {
        var output = ""
        for piece in pieces {
            switch piece {
            case .text(let text): output += text
            case .value(let index): output += values[index]
            }
        }
        return output
    }
}

/// A message compiled once and rendered for each of many recipients: every fixed header is
/// written, and every fixed piece of the bodies quoted-printable encoded, when it is compiled, so
/// that rendering joins bytes and encodes only the recipient's values, the date and the
/// Message-ID. A newsletter issue to thousands is compiled once; any other message is compiled
/// when it is sent, through the same code.
///
/// The result is RFC 5322 text with CRLF line ends and MIME parts in UTF-8: non-ASCII header text
/// as RFC 2047 encoded words, header lines folded, bodies quoted-printable so that every line
/// stays within 76 characters, and a plain-text and an HTML part as multipart/alternative.
public struct MessageTemplate: Sendable {
    public let from: Mailbox

    private enum Segment: Sendable {
        case bytes([UInt8])
        case date
        case messageID
        case to
        /// A header whose value holds values: folded when rendered.
        case header(name: String, value: TemplateText, encoded: Bool)
        case body(QuotedPrintable.Template)
    }

    private let segments: [Segment]
    private let sizeHint: Int

    public init(
        from: Mailbox, replyTo: Mailbox? = nil, subject: TemplateText, text: TemplateText, html: TemplateText? = nil,
        headers: [(String, TemplateText)] = []
    ) {
        self.from = from
        var segments: [Segment] = []
        var fixed: [UInt8] = []
        func line(_ text: String) { fixed += Array(text.utf8) + [13, 10] }
        func flush() {
            if !fixed.isEmpty { segments.append(.bytes(fixed)) }
            fixed = []
        }
        func header(_ name: String, _ value: TemplateText, encoded: Bool) {
            if value.isFixed {
                let text = value.joined([])
                line(MessageRenderer.folded(name, encoded ? MessageRenderer.encodedWord(text) : text))
            } else {
                flush()
                segments.append(.header(name: name, value: value, encoded: encoded))
            }
        }
        func part(_ body: TemplateText, type: String) {
            line("Content-Type: \(type); charset=utf-8")
            line("Content-Transfer-Encoding: quoted-printable")
            line("")
            flush()
            segments.append(.body(QuotedPrintable.Template(body)))
            fixed = [13, 10]
        }
        fixed += Array("Date: ".utf8)
        flush()
        segments.append(.date)
        fixed += Array("\r\nMessage-ID: <".utf8)
        flush()
        segments.append(.messageID)
        fixed += Array(">\r\n".utf8)
        line(MessageRenderer.folded("From", MessageRenderer.mailbox(from)))
        flush()
        segments.append(.to)
        if let replyTo { line(MessageRenderer.folded("Reply-To", MessageRenderer.mailbox(replyTo))) }
        header("Subject", subject, encoded: true)
        for (name, value) in headers { header(name, value, encoded: false) }
        line("MIME-Version: 1.0")
        if let html {
            // "=_" cannot occur in quoted-printable text, so the boundary never meets a body line.
            let boundary = "=_kobling_" + String((0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
            line(MessageRenderer.folded("Content-Type", "multipart/alternative; boundary=\"\(boundary)\""))
            line("")
            line("--\(boundary)")
            part(text, type: "text/plain")
            line("--\(boundary)")
            part(html, type: "text/html")
            line("--\(boundary)--")
        } else {
            part(text, type: "text/plain")
        }
        flush()
        self.segments = segments
        sizeHint = segments.reduce(512) { total, segment in
            switch segment {
            case .bytes(let bytes): total + bytes.count
            case .body(let body): total + body.sizeHint
            default: total
            }
        }
    }

    /// The message's own template: the same text for whomever it is rendered.
    public init(_ message: MailMessage) {
        self.init(
            from: message.from, replyTo: message.replyTo, subject: TemplateText(message.subject), text: TemplateText(message.text),
            html: message.html.map(TemplateText.init), headers: message.headers.map { ($0.0, TemplateText($0.1)) })
    }

    /// The message for `to`, with `values` in the places the template has for them.
    public func render(to: [Mailbox], values: [String], messageID: String, date: Date) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(sizeHint + values.reduce(0) { $0 + $1.utf8.count * 3 })
        for segment in segments {
            switch segment {
            case .bytes(let bytes):
                output += bytes
            case .date:
                output += MessageRenderer.rfc5322Date(date).utf8
            case .messageID:
                output += messageID.utf8
            case .to:
                output += MessageRenderer.folded("To", to.map(MessageRenderer.mailbox).joined(separator: ", ")).utf8
                output += [13, 10]
            case .header(let name, let value, let encoded):
                let text = value.joined(values)
                output += MessageRenderer.folded(name, encoded ? MessageRenderer.encodedWord(text) : text).utf8
                output += [13, 10]
            case .body(let body):
                body.render(values, into: &output)
            }
        }
        return output
    }
}
