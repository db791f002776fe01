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
    /// The issue rendered once for a reader with a name and once for one without, with markers
    /// where the reader's own values go: rendering for a reader only joins the pieces.
    private let named: Pieces
    private let unnamed: Pieces
    /// Compiles `content`; `archiveURL` is where the issue can be read in a browser.
    public init(_ content: IssueContent, archiveURL: String) throws(Invalid) {
        try Self.validate(content)
        var library = MustacheLibrary()
        do {
            library.register(try MustacheTemplate(string: Layout.textPragma + content.subject), named: "subject")
            library.register(try MustacheTemplate(string: Layout.textPragma + content.preheader), named: "preheader")
            library.register(try MustacheTemplate(string: MarkdownParser().html(from: content.body)), named: "bodyHTML")
            library.register(try MustacheTemplate(string: Layout.textPragma + MarkdownText.plain(content.body)), named: "bodyText")
            library.register(try MustacheTemplate(string: Layout.html), named: "html")
            library.register(try MustacheTemplate(string: Layout.text), named: "text")
        } catch {
            throw .template(field: "body", detail: "The template cannot be read: \(error)")
        }
        self.library = library
        self.archiveURL = archiveURL
        self.listName = content.listName
        named = Pieces(Self.renderTemplates(library, listName: content.listName, archiveURL: archiveURL,
                                            name: Marker.name, firstName: Marker.firstName, unsubscribeURL: Marker.unsubscribeURL))
        unnamed = Pieces(Self.renderTemplates(library, listName: content.listName, archiveURL: archiveURL,
                                              name: nil, firstName: nil, unsubscribeURL: Marker.unsubscribeURL))
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
            _ = try MustacheTemplate(string: MarkdownParser().html(from: content.body))
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
        let name = reader.name?.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\n", with: " ") ?? ""
        let values = Values(
            name: name, firstName: name.split(separator: " ").first.map(String.init) ?? name, unsubscribeURL: reader.unsubscribeURL)
        return (name.isEmpty ? unnamed : named).render(values)
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

/// One reader's values, each as text and escaped for HTML.
struct Values {
    var name: String
    var firstName: String
    var unsubscribeURL: String

    func text(_ marker: Pieces.Slot) -> String {
        switch marker {
        case .name: name
        case .firstName: firstName
        case .unsubscribeURL: unsubscribeURL
        }
    }
}

/// A rendered issue cut at its markers.
struct Pieces {
    enum Slot { case name, firstName, unsubscribeURL }
    enum Piece {
        case text(String)
        case slot(Slot)
    }

    let subject: [Piece]
    let preheader: [Piece]
    let html: [Piece]
    let text: [Piece]

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

    func render(_ values: Values) -> RenderedIssue {
        RenderedIssue(
            subject: join(subject, values, escape: false), preheader: join(preheader, values, escape: false),
            html: join(html, values, escape: true), text: join(text, values, escape: false))
    }

    private func join(_ pieces: [Piece], _ values: Values, escape: Bool) -> String {
        var output = ""
        output.reserveCapacity(pieces.reduce(0) { if case .text(let text) = $1 { $0 + text.utf8.count } else { $0 + 64 } })
        for piece in pieces {
            switch piece {
            case .text(let text): output += text
            case .slot(let slot): output += escape ? HTMLText.escape(values.text(slot)) : values.text(slot)
            }
        }
        return output
    }
}

/// HTML escaping as Mustache does it for `{{name}}`.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }
}
