import Foundation
import KoblingCore
import Mustache

/// Every notice's templates, read once at start: for each kind and language a plain-text file,
/// whose first line is `Subject: …`, and an HTML fragment, both set in the shared layouts. They
/// ship in `Templates/` beside this file; a hub may put its own versions of any of them (same
/// file names) in a folder of its own, which then win.
public struct NoticeTemplates: Sendable {
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    private static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    private let templates: [String: MustacheTemplate]
    /// Signs every notice: the sender's name.
    private let signature: String

    /// Reads the shipped templates, and the files in `overrides` over them.
    public init(signature: String, overrides: URL? = nil) throws(Invalid) {
        guard let shipped = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw Invalid(description: "The notice templates are missing from the build's resources.")
        }
        var sources = try Self.files(in: shipped)
        if let overrides {
            for (name, text) in try Self.files(in: overrides) {
                guard sources[name] != nil else {
                    throw Invalid(description: "\(overrides.path)/\(name).mustache is not the name of a notice template.")
                }
                sources[name] = text
            }
        }
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in sources {
            do {
                templates[name] = try MustacheTemplate(string: name.hasSuffix(".txt") ? Self.textPragma + text : text)
            } catch {
                throw Invalid(description: "The template \(name).mustache cannot be read: \(error)")
            }
        }
        self.templates = templates
        self.signature = signature
        for notice in Notice.examples {
            for language in PreferredLanguage.allCases { _ = try render(notice, in: language) }
        }
    }

    /// `notice` in `language`.
    public func render(_ notice: Notice, in language: PreferredLanguage) throws(Invalid) -> RenderedNotice {
        let name = "\(notice.template).\(language.rawValue)"
        guard let text = templates[name + ".txt"], let html = templates[name + ".html"],
            let textLayout = templates["layout.\(language.rawValue).txt"], let htmlLayout = templates["layout.\(language.rawValue).html"]
        else {
            throw Invalid(description: "There is no template \(name).txt.mustache or \(name).html.mustache.")
        }
        var values: [String: Any] = notice.values
        values["signature"] = signature
        let written = text.render(values)
        guard written.hasPrefix("Subject:") else {
            throw Invalid(description: "The template \(name).txt.mustache must begin with a line \"Subject: …\".")
        }
        let firstLine = written.prefix { $0 != "\n" }
        let subject = firstLine.dropFirst("Subject:".count).trimmingCharacters(in: .whitespaces)
        let bodyText = written.dropFirst(firstLine.count).trimmingCharacters(in: .newlines)
        var layoutValues = values
        layoutValues["subject"] = subject
        layoutValues["body"] = bodyText
        let fullText = textLayout.render(layoutValues)
        layoutValues["body"] = html.render(values)
        return RenderedNotice(subject: subject, text: fullText, html: htmlLayout.render(layoutValues))
    }

    /// The `.mustache` files of a folder, by name without the extension.
    private static func files(in folder: URL) throws(Invalid) -> [String: String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw Invalid(description: "The template folder \(folder.path) cannot be read: \(error.localizedDescription)")
        }
        var files: [String: String] = [:]
        for name in names where name.hasSuffix(".mustache") {
            let url = folder.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
                throw Invalid(description: "The template \(url.path) cannot be read as UTF-8 text.")
            }
            files[String(name.dropLast(".mustache".count))] = text
        }
        return files
    }
}
