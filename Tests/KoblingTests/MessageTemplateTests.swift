import Foundation
import Mail
import Testing

/// Messages compiled once and rendered for many recipients.
struct MessageTemplateTests {
    /// The decoded text of each quoted-printable part of a rendered message, and its lines.
    static func parts(_ message: [UInt8]) -> (bodies: [String], lines: [Substring]) {
        let text = String(decoding: message, as: UTF8.self)
        let marker = "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        var bodies: [String] = []
        var rest = text[...]
        while let start = rest.range(of: marker) {
            let body = rest[start.upperBound...]
            let end = body.range(of: "\r\n--=_kobling_")?.lowerBound ?? body.endIndex
            bodies.append(QuotedPrintable.decode(String(body[..<end])))
            rest = body[end...]
        }
        return (bodies, text.split(separator: "\r\n", omittingEmptySubsequences: false))
    }

    /// Pieces of text that try the encoder's edges: line ends, a space before one, long runs
    /// with no space, dots that could start a line, "=" and letters of two bytes.
    static let fragments = [
        "Hej ", "\n", ". ", ".", "=", "æøå", " ", "\t", "Sundheds-AI i klinikken: pitches, match-runder og events.",
        String(repeating: "x", count: 90), String(repeating: "ø", count: 40), "https://kobling.example.org/v1/unsubscribe/abc_DEF-123",
    ]

    @Test func renderedValuesDecodeToTheTextAndKeepEveryRule() {
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int) -> String { (0..<count).map { _ in Self.fragments.randomElement(using: &generator)! }.joined() }
        for _ in 0..<300 {
            var pieces: [TemplateText.Piece] = []
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                pieces.append(Bool.random(using: &generator) ? .text(random(Int.random(in: 0...6, using: &generator))) : .value(Int.random(in: 0...2, using: &generator)))
            }
            let values = (0..<3).map { _ in random(Int.random(in: 0...4, using: &generator)) }
            let body = TemplateText(pieces: pieces)
            let template = MessageTemplate(
                from: Mailbox("hub@kobling.test"), subject: TemplateText(pieces: [.text("Til "), .value(0)]), text: body, html: body)
            let rendered = template.render(to: [Mailbox("a@example.test", name: "Åse")], values: values, messageID: "m@kobling.test", date: Date())
            let expected = body.joined(values).replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
            let (bodies, lines) = Self.parts(rendered)
            #expect(bodies == [expected, expected], "\(pieces) \(values)")
            let bodyLines = lines.drop { !$0.hasPrefix("Content-Transfer-Encoding") }
            #expect(bodyLines.allSatisfy { $0.utf8.count <= 76 }, "quoted-printable lines keep to 76: \(pieces) \(values)")
            #expect(!lines.contains { $0.hasPrefix(".") }, "no line starts with a dot: \(pieces) \(values)")
            #expect(!bodyLines.contains { $0.hasSuffix(" ") || $0.hasSuffix("\t") }, "no body line ends in white space: \(pieces) \(values)")
            #expect(rendered.allSatisfy { $0 < 128 })
        }
    }

    @Test func aTemplateRendersAsTheMessageItStandsFor() {
        let message = MailMessage(
            from: Mailbox("hub@kobling.test", name: "Kobling Hub"), to: [Mailbox("a@b.dk", name: "Søren Ågaard")],
            subject: "Hej Søren", text: "Hej Søren,\nvelkommen.", html: "<p>Hej Søren</p>",
            headers: [("List-Unsubscribe", "<https://kobling.test/u/søren>")])
        let template = MessageTemplate(
            from: message.from, subject: TemplateText(pieces: [.text("Hej "), .value(0)]),
            text: TemplateText(pieces: [.text("Hej "), .value(0), .text(",\nvelkommen.")]),
            html: TemplateText(pieces: [.text("<p>Hej "), .value(0), .text("</p>")]),
            headers: [("List-Unsubscribe", TemplateText(pieces: [.text("<https://kobling.test/u/"), .value(1), .text(">")]))])
        let date = Date(timeIntervalSince1970: 1_790_000_000)
        let fromTemplate = template.render(to: message.to, values: ["Søren", "søren"], messageID: "m@kobling.test", date: date)
        let plain = Array(MessageRenderer.render(message, messageID: "m@kobling.test", date: date).utf8)
        // The same headers but for the boundary, which each template draws at random, and the
        // same text in each part (a space before a value may be encoded where the plain
        // rendering need not).
        func headers(_ bytes: [UInt8]) -> String {
            let text = String(decoding: bytes, as: UTF8.self)
            return String(text[..<text.range(of: "\r\n\r\n")!.lowerBound]).replacing(/=_kobling_[a-z0-9]+/, with: "BOUNDARY")
        }
        #expect(headers(fromTemplate) == headers(plain))
        #expect(Self.parts(fromTemplate).bodies == Self.parts(plain).bodies)
        #expect(Self.parts(plain).bodies == ["Hej Søren,\r\nvelkommen.", "<p>Hej Søren</p>"])
        #expect(String(decoding: fromTemplate, as: UTF8.self).contains("Date: Mon, 21 Sep 2026 14:13:20 +0000"))
    }
}
