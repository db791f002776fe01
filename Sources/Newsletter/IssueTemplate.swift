import Foundation
import Ink
import Mustache

/// What an organiser writes: a subject, a preheader (the line inboxes show after the subject) and
/// a body in Markdown. All three may greet the reader with `{{name}}` or `{{firstName}}`, and
/// `{{#name}}…{{/name}}{{^name}}…{{/name}}` says something else when the name is not known.
public struct IssueContent: Sendable, Equatable {
    public var listName: String
    public var subject: String
    public var preheader: String
    public var body: String

    public init(listName: String, subject: String, preheader: String, body: String) {
        self.listName = listName
        self.subject = subject
        self.preheader = preheader
        self.body = body
    }
}

/// Who an issue is rendered for. The archive renders for nobody: no name, no personal link.
public struct Reader: Sendable, Equatable {
    public var name: String?
    /// The reader's own unsubscribe page.
    public var unsubscribeURL: String

    public init(name: String?, unsubscribeURL: String) {
        self.name = name
        self.unsubscribeURL = unsubscribeURL
    }
}

/// An issue rendered for one reader (or for the archive).
public struct RenderedIssue: Sendable, Equatable {
    public var subject: String
    public var preheader: String
    public var html: String
    public var text: String
}

/// An issue compiled once: Markdown turned into HTML and plain text, each parsed as a Mustache
/// template inside the layout, so that rendering it for each of many readers is one template pass.
public struct IssueTemplate: Sendable {
    /// The variables an issue may use; anything else is refused when it is written.
    public static let variables: Set<String> = ["name", "firstName"]

    public enum Invalid: Error, Equatable, Sendable {
        /// Which field ("subject", "preheader", "body") and what is wrong with it.
        case template(field: String, detail: String)
    }

    private let library: MustacheLibrary
    private let archiveURL: String
    private let listName: String
    /// The issue rendered once for a reader with a name and once for one without, cut where the
    /// reader's own values go: rendering for a reader only joins the pieces.
    public let named: IssuePieces
    public let unnamed: IssuePieces
    /// Compiles `content`; `archiveURL` is where the issue can be read in a browser.
    public init(_ content: IssueContent, archiveURL: String) throws(Invalid) {
        try Self.validate(content)
        var library = MustacheLibrary()
        do {
            library.register(try MustacheTemplate(string: Layout.textPragma + content.subject), named: "subject")
            library.register(try MustacheTemplate(string: Layout.textPragma + content.preheader), named: "preheader")
            library.register(try MustacheTemplate(string: Self.bodyHTML(content.body)), named: "bodyHTML")
            library.register(try MustacheTemplate(string: Layout.textPragma + MarkdownText.plain(content.body)), named: "bodyText")
            library.register(try MustacheTemplate(string: Layout.html), named: "html")
            library.register(try MustacheTemplate(string: Layout.text), named: "text")
        } catch {
            throw .template(field: "body", detail: "The template cannot be read: \(error)")
        }
        self.library = library
        self.archiveURL = archiveURL
        self.listName = content.listName
        named = IssuePieces(Self.renderTemplates(library, listName: content.listName, archiveURL: archiveURL,
                                            name: Marker.name, firstName: Marker.firstName, unsubscribeURL: Marker.unsubscribeURL))
        unnamed = IssuePieces(Self.renderTemplates(library, listName: content.listName, archiveURL: archiveURL,
                                              name: nil, firstName: nil, unsubscribeURL: Marker.unsubscribeURL))
    }

    /// The body's Markdown as HTML, cleaned by the allowlist: raw HTML in Markdown passes through Ink.
    static func bodyHTML(_ markdown: String) -> String {
        HTMLSanitizer.clean(MarkdownParser().html(from: markdown))
    }

    /// Checks that every field parses as a template and uses only the known variables.
    public static func validate(_ content: IssueContent) throws(Invalid) {
        for (field, text) in [("subject", content.subject), ("preheader", content.preheader), ("body", content.body)] {
            do {
                _ = try MustacheTemplate(string: text)
            } catch {
                throw .template(field: field, detail: "Not a valid template: \(error). Write {{name}} or {{firstName}} to greet the reader.")
            }
            if text.contains("{{{") || text.firstMatch(of: /\{\{\s*&/) != nil {
                throw .template(field: field, detail: "Unescaped tags ({{{…}}}, {{&…}}) are not allowed: write {{name}}, which is escaped safely.")
            }
            for name in Self.tagNames(in: text) where !variables.contains(name) {
                throw .template(field: field, detail: "Unknown variable {{\(name)}}; use {{name}} or {{firstName}}.")
            }
        }
        // What Ink makes of the body is what is compiled; it must parse too.
        do {
            _ = try MustacheTemplate(string: Self.bodyHTML(content.body))
        } catch {
            throw .template(field: "body", detail: "The body's Markdown turns its tags into something that is not a template: \(error).")
        }
    }

    /// The names inside `{{…}}` tags (sections, inverted sections and closers included); partials,
    /// comments and delimiter changes count as unknown names so that they are refused too.
    static func tagNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            var inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if inner.hasPrefix("{") { inner.removeFirst() }
            if let first = inner.first, "#^/&".contains(first) { inner.removeFirst() }
            names.append(inner.trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// The issue for one reader, or for the archive when `reader` is nil.
    public func render(for reader: Reader?) -> RenderedIssue {
        guard let reader else {
            return Self.renderTemplates(library, listName: listName, archiveURL: archiveURL, name: nil, firstName: nil, unsubscribeURL: nil)
        }
        let values = ReaderValues(reader)
        return (values.isNamed ? named : unnamed).render(values)
    }

    /// Renders every template with the given values (nil leaves a variable out, so that
    /// `{{^name}}` sections show).
    private static func renderTemplates(
        _ library: MustacheLibrary, listName: String, archiveURL: String, name: String?, firstName: String?, unsubscribeURL: String?
    ) -> RenderedIssue {
        var context: [String: Any] = ["listName": listName, "archiveURL": archiveURL]
        if let name { context["name"] = name }
        if let firstName { context["firstName"] = firstName }
        if let unsubscribeURL { context["unsubscribeURL"] = unsubscribeURL }
        func render(_ template: String) -> String { library.render(context, withTemplate: template) ?? "" }
        let subject = render("subject").replacingOccurrences(of: "\n", with: " ")
        let preheader = render("preheader")
        context["subject"] = subject
        context["preheader"] = preheader
        return RenderedIssue(subject: subject, preheader: preheader, html: render("html"), text: render("text"))
    }
}

/// Stand-ins for a reader's values while an issue is rendered once: private-use characters,
/// which HTML escaping leaves alone and Markdown and Mustache never produce.
enum Marker {
    static let name = "\u{E000}1\u{E001}"
    static let firstName = "\u{E000}2\u{E001}"
    static let unsubscribeURL = "\u{E000}3\u{E001}"
}

/// One reader's values, as the pieces' slots take them.
public struct ReaderValues: Sendable {
    public var name: String
    public var firstName: String
    public var unsubscribeURL: String

    /// The name trimmed of spaces and tabs, with line breaks as spaces; the first name is its
    /// first word. Worked on bytes: a newsletter send makes these for every reader.
    public init(_ reader: Reader) {
        let bytes = Array((reader.name ?? "").utf8).map { $0 == 10 || $0 == 13 ? 32 : $0 }
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == 32 || bytes[start] == 9) { start += 1 }
        while end > start && (bytes[end - 1] == 32 || bytes[end - 1] == 9) { end -= 1 }
        let trimmed = bytes[start..<end]
        name = String(decoding: trimmed, as: UTF8.self)
        firstName = String(decoding: trimmed.prefix { $0 != 32 }, as: UTF8.self)
        unsubscribeURL = reader.unsubscribeURL
    }

    /// Whether the reader has a name: the issue's `named` pieces are theirs, else `unnamed`.
    public var isNamed: Bool { !name.isEmpty }

    public func text(_ slot: IssuePieces.Slot) -> String {
        switch slot {
        case .name: name
        case .firstName: firstName
        case .unsubscribeURL: unsubscribeURL
        }
    }

    /// The value as the HTML part takes it.
    public func html(_ slot: IssuePieces.Slot) -> String {
        HTMLText.escape(text(slot))
    }
}

/// A rendered issue cut where a reader's values go; the HTML part takes them escaped.
public struct IssuePieces: Sendable {
    public enum Slot: Int, Sendable, CaseIterable { case name, firstName, unsubscribeURL }
    public enum Piece: Sendable, Equatable {
        case text(String)
        case slot(Slot)
    }

    public let subject: [Piece]
    public let preheader: [Piece]
    public let html: [Piece]
    public let text: [Piece]

    init(_ rendered: RenderedIssue) {
        subject = Self.cut(rendered.subject)
        preheader = Self.cut(rendered.preheader)
        html = Self.cut(rendered.html)
        text = Self.cut(rendered.text)
    }

    private static func cut(_ string: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = string[...]
        while let open = rest.firstIndex(of: "\u{E000}") {
            guard let close = rest[open...].firstIndex(of: "\u{E001}") else { break }
            let slot: Slot? = switch rest[rest.index(after: open)..<close] {
            case "1": .name
            case "2": .firstName
            case "3": .unsubscribeURL
            default: nil
            }
            guard let slot else { break }
            pieces.append(.text(String(rest[..<open])))
            pieces.append(.slot(slot))
            rest = rest[rest.index(after: close)...]
        }
        pieces.append(.text(String(rest)))
        return pieces
    }

    func render(_ values: ReaderValues) -> RenderedIssue {
        RenderedIssue(
            subject: join(subject, values.text), preheader: join(preheader, values.text),
            html: join(html, values.html), text: join(text, values.text))
    }

    private func join(_ pieces: [Piece], _ value: (Slot) -> String) -> String {
        var output = ""
        output.reserveCapacity(pieces.reduce(0) { if case .text(let text) = $1 { $0 + text.utf8.count } else { $0 + 64 } })
        for piece in pieces {
            switch piece {
            case .text(let text): output += text
            case .slot(let slot): output += value(slot)
            }
        }
        return output
    }
}

/// HTML escaping as Mustache does it for `{{name}}`.
enum HTMLText {
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case 38: output += "&amp;".utf8
            case 60: output += "&lt;".utf8
            case 62: output += "&gt;".utf8
            case 34: output += "&quot;".utf8
            case 39: output += "&#39;".utf8
            default: output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
