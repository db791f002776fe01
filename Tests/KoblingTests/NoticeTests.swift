import Foundation
import HummingbirdTesting
import KoblingAPI
import KoblingCore
import Mail
import Notices
import Testing

/// Every email that is not a newsletter comes from templates, in Danish and in English, as HTML
/// and text, in the recipient's language.
@Suite struct NoticeTests {
    @Test func everyNoticeHasASubjectTextAndHTMLInEachLanguage() throws {
        let templates = try NoticeTemplates(signature: "Kobling Hub")
        for notice in Notice.examples {
            let danish = try templates.render(notice, in: .da)
            let english = try templates.render(notice, in: .en)
            for rendered in [danish, english] {
                #expect(!rendered.subject.isEmpty && !rendered.subject.contains("{{"))
                #expect(rendered.text.hasSuffix("— Kobling Hub\n") && !rendered.text.contains("Subject:"))
                #expect(rendered.html.hasPrefix("<!doctype html>") && rendered.html.contains("<title>\(rendered.subject)</title>"))
            }
            #expect(danish.html.contains(#"<html lang="da">"#) && english.html.contains(#"<html lang="en">"#))
            #expect(danish.subject != english.subject && danish.text != english.text)
        }
    }

    @Test func valuesAreEscapedInHTMLAndPlainInText() throws {
        let templates = try NoticeTemplates(signature: "Kobling")
        let notice = Notice.subscriptionConfirmation(
            name: "Ida <b>", listName: "R&D news", consentText: "Yes", link: "https://example.org/c?t=1&x=2", hours: 48)
        let rendered = try templates.render(notice, in: .en)
        #expect(rendered.subject == "Confirm your subscription: R&D news")
        #expect(rendered.text.contains("Hello Ida <b>,") && rendered.text.contains("https://example.org/c?t=1&x=2"))
        #expect(rendered.html.contains("Hello Ida &lt;b&gt;,") && rendered.html.contains("R&amp;D news"))
        #expect(!rendered.html.contains("Ida <b>"))
        // Without a name, the greeting has none.
        let unnamed = try templates.render(.addressVerification(name: nil, link: "https://example.org/v", hours: 48), in: .da)
        #expect(unnamed.text.hasPrefix("Hej,\n"))
    }

    /// A mentoring round's email asks the mentor as mentor and the startup about its request;
    /// a round of pitches speaks of pitches and working together.
    @Test func aMentoringRoundsEmailSpeaksOfMentoring() throws {
        let templates = try NoticeTemplates(signature: "Kobling")
        let items = [ProposalLine(pitchTitle: "CE marking", others: "Eva Holm", asAuthor: false),
                     ProposalLine(pitchTitle: "Eye tracking cameras", others: "Karl Berg", asAuthor: true)]
        for reminder in [false, true] {
            func render(mentoring: Bool) throws -> (text: String, all: String) {
                let notice: Notice = reminder
                    ? .roundReminder(name: "Ida", roundName: "Mentors 2026", deadline: "soon", items: items, mentoring: mentoring)
                    : .roundProposals(name: "Ida", roundName: "Mentors 2026", deadline: "soon", items: items, mentoring: mentoring)
                let rendered = try templates.render(notice, in: .en)
                return (rendered.text, rendered.text + rendered.html)
            }
            let mentoring = try render(mentoring: true), pitches = try render(mentoring: false)
            #expect(mentoring.text.contains("- As mentor: CE marking") && mentoring.text.contains(#"For your mentoring request "Eye tracking cameras""#))
            #expect(!mentoring.all.contains("pitch"), "\(mentoring.all)")
            #expect(pitches.text.contains(#"For your pitch "Eye tracking cameras""#) && !pitches.all.contains("mentor"), "\(pitches.all)")
        }
        let introduction = { (mentoring: Bool) in
            try templates.render(.introduction(name: "Ida", pitchTitle: "Eye tracking cameras", otherName: "Karl Berg", otherEmail: "karl@example.org",
                                               otherHeadline: nil, otherNote: nil, mentoring: mentoring), in: .en).text
        }
        #expect(try introduction(true).contains(#"said yes to mentoring on "Eye tracking cameras""#))
        #expect(try introduction(false).contains(#"said yes to working together on "Eye tracking cameras""#))
    }

    @Test func aHubsOwnTemplatesReplaceTheShippedOnesAndBadOnesAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-notices-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("password-reset.en.txt.mustache")
        try "Subject: Reset at the Hub\n\nGo to {{link}} ({{minutes}} min).\n".write(to: file, atomically: true, encoding: .utf8)
        let rendered = try NoticeTemplates(signature: "Hub", overrides: folder).render(.passwordReset(link: "https://h/r", minutes: 60), in: .en)
        #expect(rendered.subject == "Reset at the Hub")
        #expect(rendered.text == "Go to https://h/r (60 min).\n\n— Hub\n")

        try "No subject line\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: NoticeTemplates.Invalid.self) { try NoticeTemplates(signature: "Hub", overrides: folder) }
        try FileManager.default.removeItem(at: file)
        try "Subject: x\n".write(to: folder.appendingPathComponent("welcome.en.txt.mustache"), atomically: true, encoding: .utf8)
        #expect(throws: NoticeTemplates.Invalid.self) { try NoticeTemplates(signature: "Hub", overrides: folder) }
    }

    @Test func mailGoesOutInTheRecipientsLanguageOrTheHubsDefault() async throws {
        let app = try TestApp { $0.defaultLanguage = .en }
        try await app.makeOrganiser()
        try await app.test { client in
            // No language chosen: the hub's default.
            let member = try await client.signup("anna@example.dk")
            #expect(QuotedPrintable.decode(try #require(try await app.sentMail().last)).contains("Please verify that this address is yours"))
            let danish = try await client.request(
                .post, "/v1/auth/signup", json: #"{"email":"bo@example.dk","password":"correct horse battery","name":"Bo","language":"da"}"#)
            #expect(try (danish.json()["account"] as? [String: Any])?["language"] as? String == "da")
            #expect(QuotedPrintable.decode(try #require(try await app.sentMail().last)).contains("Bekræft, at adressen er din"))

            // The account's choice, set later, holds for its password reset.
            let chosen = try await client.request(.patch, "/v1/me", json: #"{"language":"da"}"#, as: member)
            #expect(chosen.status == .ok)
            #expect((try chosen.json()["account"] as? [String: Any])?["language"] as? String == "da")
            try await client.request(.post, "/v1/auth/password-reset", json: #"{"email":"anna@example.dk"}"#)
            #expect(QuotedPrintable.decode(try #require(try await app.sentMail().last)).contains("Vælg en ny adgangskode"))
            let cleared = try await client.request(.patch, "/v1/me", json: #"{"language":null}"#, as: member)
            #expect((try cleared.json()["account"] as? [String: Any])?["language"] is NSNull)
            let refused = try await client.request(.patch, "/v1/me", json: #"{"language":"de"}"#, as: member)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.pointers() == ["/language"])

            // A subscription keeps the language it was asked in.
            let list = try await ListsTests.makeList(client, as: try await client.organiser())
            try await client.request(.post, "/v1/lists/\(list)/subscriptions", json: #"{"email":"cai@example.dk","consent":true,"language":"da"}"#)
            let mail = try #require(try await app.sentMail().last)
            #expect(mail.contains("multipart/alternative") && mail.contains("text/html"))
            #expect(QuotedPrintable.decode(mail).contains("Bekræft venligst, at du vil modtage"))
            #expect(try await app.database.allSubscribers(listId: list).first?.language == .da)
        }
    }

    @Test func theDefaultLanguageIsConfigured() throws {
        #expect(try AppConfiguration.fromEnvironment(["KOBLING_DEFAULT_LANGUAGE": "en"]).defaultLanguage == .en)
        #expect(try AppConfiguration.fromEnvironment([:]).defaultLanguage == .da)
        #expect(throws: (any Error).self) { try AppConfiguration.fromEnvironment(["KOBLING_DEFAULT_LANGUAGE": "sv"]) }
    }
}
