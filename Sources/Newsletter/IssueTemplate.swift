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
        var context: [String: Any] = ["listName": listName, "archiveURL": archiveURL]
        if let name = reader?.name?.trimmingCharacters(in: .whitespaces), !name.isEmpty {
            context["name"] = name
            context["firstName"] = String(name.split(separator: " ").first ?? Substring(name))
        }
        if let reader { context["unsubscribeURL"] = reader.unsubscribeURL }
        let subject = render("subject", context).replacingOccurrences(of: "\n", with: " ")
        let preheader = render("preheader", context)
        context["subject"] = subject
        context["preheader"] = preheader
        return RenderedIssue(subject: subject, preheader: preheader, html: render("html", context), text: render("text", context))
    }

    private func render(_ template: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: template) ?? ""
    }
}
