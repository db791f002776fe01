import Foundation
import Newsletter
import Testing

/// Rendering issues, without HTTP or a database.
@Suite struct IssueTemplateTests {
    static let content = IssueContent(
        listName: "Kobling – månedsbrev", subject: "{{#name}}{{firstName}}, {{/name}}nyt om øjne",
        preheader: "Kort nyt", body: "# Overskrift\n\nHej {{name}}! Læs [mere](https://kobling.test/x) og ![logo](https://kobling.test/l.png) __nu__.")

    @Test func aReaderIsGreetedByNameEscapedInHTMLAndPlainInText() throws {
        let template = try IssueTemplate(Self.content, archiveURL: "https://kobling.test/archive/iss_1")
        let rendered = template.render(for: Reader(name: "Ærø <Æ> & Co", unsubscribeURL: "https://kobling.test/v1/unsubscribe/t0k"))
        #expect(rendered.subject == "Ærø, nyt om øjne")
        #expect(rendered.html.contains("Hej Ærø &lt;Æ&gt; &amp; Co!"))
        #expect(rendered.text.contains("Hej Ærø <Æ> & Co!"))
        #expect(rendered.html.contains("<h1>Overskrift</h1>"))
        #expect(rendered.text.hasPrefix("Overskrift\n=========="))
        #expect(rendered.text.contains("Læs mere (https://kobling.test/x) og logo nu."))
        #expect(rendered.html.contains("https://kobling.test/v1/unsubscribe/t0k"))
        #expect(rendered.text.contains("Unsubscribe / Afmeld: https://kobling.test/v1/unsubscribe/t0k"))
        #expect(rendered.text.contains("https://kobling.test/archive/iss_1"))
    }

    @Test func forNobodyTheIssueHasNoNameAndNoPersonalLink() throws {
        let rendered = try IssueTemplate(Self.content, archiveURL: "https://kobling.test/archive/iss_1").render(for: nil)
        #expect(rendered.subject == "nyt om øjne")
        #expect(rendered.html.contains("Hej !"))
        #expect(!rendered.html.contains("unsubscribe") && !rendered.text.contains("Unsubscribe"))
    }

    @Test func unknownVariablesAndBrokenTagsAreRefusedWithTheirField() {
        #expect(throws: IssueTemplate.Invalid.template(field: "body", detail: "Unknown variable {{email}}; use {{name}} or {{firstName}}.")) {
            try IssueTemplate.validate(IssueContent(listName: "L", subject: "s", preheader: "", body: "{{email}}"))
        }
        for (subject, preheader, body, field) in [("{{#name}}x", "", "b", "subject"), ("s", "{{> other}}", "b", "preheader"), ("s", "", "{{{name}}}", "body")] {
            do {
                try IssueTemplate.validate(IssueContent(listName: "L", subject: subject, preheader: preheader, body: body))
                Issue.record("\(field): accepted")
            } catch IssueTemplate.Invalid.template(let refused, _) {
                #expect(refused == field)
            } catch {
                Issue.record("\(field): \(error)")
            }
        }
    }
}
