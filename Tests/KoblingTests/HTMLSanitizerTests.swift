import Foundation
import Newsletter
import Testing

/// Raw HTML in an organiser's Markdown reaches archive pages and inboxes only through the
/// allowlist: no element, attribute or URL that can run script survives.
@Suite struct HTMLSanitizerTests {
    @Test(arguments: [
        ("<p>Hej</p><script>alert(1)</script>", "<p>Hej</p>"),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>tekst", "tekst"),
        ("<img src=x onerror=alert(1)>", #"<img src="x">"#),
        (#"<a href="javascript:alert(1)">klik</a>"#, "<a>klik</a>"),
        (#"<a href="jav&#x09;ascript:alert(1)">x</a>"#, "<a>x</a>"),
        (#"<a href=" JaVaScRiPt&colon;alert(1)">x</a>"#, "<a>x</a>"),
        (#"<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>"#, "<a>x</a>"),
        (#"<a href="https://kobling.test/?a=1&amp;b=2" onclick="x()">ok</a>"#, #"<a href="https://kobling.test/?a=1&amp;b=2">ok</a>"#),
        (#"<a href="/archive" title='Arkiv "ny"'>arkiv</a>"#, #"<a href="/archive" title="Arkiv &quot;ny&quot;">arkiv</a>"#),
        ("<a href=mailto:hej@kobling.test>mail</a>", #"<a href="mailto:hej@kobling.test">mail</a>"#),
        ("<iframe src=https://evil.example></iframe><p>efter</p>", "<p>efter</p>"),
        ("<style>body{display:none}</style><p style=\"color:red\">rød</p>", "<p>rød</p>"),
        ("<svg onload=alert(1)><circle/></svg>ok", "ok"),
        ("<!-- <script>alert(1)</script> -->synlig", "synlig"),
        ("<form action=https://evil.example><input name=p></form>", ""),
        ("<b>fed<i>kursiv</b> mere", "<b>fed<i>kursiv</i></b> mere"),
        ("<ul><li>én<li>to</ul>", "<ul><li>én<li>to</li></li></ul>"),
        ("1 < 2 og 3 > 2", "1 &lt; 2 og 3 &gt; 2"),
        ("<p>{{name}}, <a href=\"{{name}}\">dig</a></p>", "<p>{{name}}, <a href=\"{{name}}\">dig</a></p>"),
        ("<div><p>åben", "<div><p>åben</p></div>"),
        ("<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
    ])
    func onlyTheAllowlistSurvives(_ input: String, _ expected: String) {
        #expect(HTMLSanitizer.clean(input) == expected)
    }

    /// Whatever goes in, what comes out has no script element, handler attribute or script URL.
    @Test func randomTagSoupComesOutHarmless() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["<", ">", "/", "script", "img", "a", " ", "=", "\"", "'", "on", "error", "href", "javascript:", "&#58;",
                      "alert(1)", "<!--", "-->", "p", "src", "x", "\t", "\n", "style", "&", "iframe", "ø"]
        for _ in 0..<3000 {
            let input = (0..<Int.random(in: 1...40, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let output = HTMLSanitizer.clean(input).lowercased()
            #expect(!output.contains("<script") && !output.contains("<iframe") && !output.contains("<style"), "\(input) → \(output)")
            #expect(output.firstMatch(of: /<[^>]*\son[a-z]*=/) == nil, "\(input) → \(output)")
            #expect(output.firstMatch(of: /<[^>]*(href|src)="\s*javascript/) == nil, "\(input) → \(output)")
        }
    }

    @Test func anIssuesBodyIsCleanedInTheArchiveAndTheMailAlike() throws {
        let content = IssueContent(
            listName: "Nyt", subject: "Nyt", preheader: "",
            body: "Hej {{name}}\n\n<script>document.cookie</script>\n\n<img src=x onerror=alert(1)> [link](javascript:alert(1))")
        let template = try IssueTemplate(content, archiveURL: "https://kobling.test/archive/iss_1")
        for rendered in [template.render(for: nil), template.render(for: Reader(name: "Åse", unsubscribeURL: "https://kobling.test/u"))] {
            #expect(!rendered.html.contains("<script") && !rendered.html.contains("onerror"))
            #expect(rendered.html.firstMatch(of: /<[^>]*href="javascript/) == nil, "\(rendered.html)")
            #expect(rendered.html.contains(#"<img src="x">"#))
        }
    }
}
