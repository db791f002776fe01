import Foundation
import KoblingCore
import Mail
import Testing

/// The pure parts, without HTTP or a database.
@Suite struct CoreTests {
    @Test(arguments: [
        ("  Søren@Example.DK ", "søren@example.dk"), ("a.b+c@sub.example.org", "a.b+c@sub.example.org"),
    ])
    func emailAddressesAreNormalised(_ raw: String, _ expected: String) {
        #expect(EmailAddress(raw)?.value == expected)
    }

    @Test(arguments: ["", "@", "a@", "@b.dk", "a@b", "a b@c.dk", "a@@b.dk", "a@b..dk", ".a@b.dk", "a@-b.dk", "a@b.dk\r\nBcc: x@y.dk"])
    func invalidEmailAddressesAreRefused(_ raw: String) {
        #expect(EmailAddress(raw) == nil)
    }

    /// A queue taken from the front while it grows keeps its order across compactions.
    @Test func aFIFOGivesBackWhatItTookInOrder() {
        var queue = FIFO<Int>()
        var expected: [Int] = []
        var taken: [Int] = []
        var next = 0
        for step in 0..<5_000 {
            for _ in 0..<(step % 4) {
                queue.append(next)
                expected.append(next)
                next += 1
            }
            if let value = queue.popFirst() { taken.append(value) }
            #expect(queue.count == expected.count - taken.count)
        }
        #expect(queue.first == expected.dropFirst(taken.count).first)
        #expect(queue.elements == Array(expected.dropFirst(taken.count)))
        while let value = queue.popFirst() { taken.append(value) }
        #expect(taken == expected && queue.isEmpty && queue.popFirst() == nil)
    }

    @Test func aSlidingWindowSaysHowLongUntilTheNextAttempt() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let attempts = [now - 3700, now - 1800, now - 900, now - 60]
        // The attempt an hour and more ago no longer counts.
        #expect(SlidingWindow.wait(after: attempts, limit: 4, window: 3600, now: now) == nil)
        // Three in the hour: the next waits until the oldest of them (30 minutes ago) leaves it.
        #expect(SlidingWindow.wait(after: attempts, limit: 3, window: 3600, now: now) == 1800)
        #expect(SlidingWindow.wait(after: attempts, limit: 1, window: 3600, now: now) == 3540)
        #expect(SlidingWindow.wait(after: [now - 3599.5], limit: 1, window: 3600, now: now) == 1)
    }

    @Test func searchTextQuotesEveryWord() {
        #expect(SearchText.fts5Query(#"Røntgen "OR" NEAR(x) *"#) == #""røntgen"* "or"* "near"* "x"*"#)
        #expect(SearchText.fts5Query("  ;; ") == nil)
    }

    @Test func lengthsCountCodePointsAsTheSpecDoes() throws {
        // 60 letters each with a combining mark: 60 characters to Swift, 120 code points to JSON Schema.
        let marked = String(repeating: "e\u{301}", count: 60)
        let over = marked + "x"
        var fits = try MergePatch(.object(["name": .string(marked)]), allowed: ["name"])
        guard case .set(let value) = fits.string("name", maxLength: 120) else { Issue.record("refused \(marked.count) characters"); return }
        #expect(value == marked)
        try fits.validator.finish()
        var refused = try MergePatch(.object(["name": .string(over)]), allowed: ["name"])
        _ = refused.string("name", maxLength: 120)
        #expect(throws: KoblingError.self) { try refused.validator.finish() }
    }

    @Test func anAddressLinkIsAskedForAndOpenedByItsRules() throws {
        #expect(try AddressVerification.request("a@x.dk", current: "a@x.dk", currentVerified: false, takenByAnother: false) == .verifyCurrent)
        #expect(try AddressVerification.request("b@x.dk", current: "a@x.dk", currentVerified: true, takenByAnother: false) == .change)
        #expect(throws: KoblingError.self) { try AddressVerification.request("a@x.dk", current: "a@x.dk", currentVerified: true, takenByAnother: false) }
        #expect(throws: KoblingError.self) { try AddressVerification.request("b@x.dk", current: "a@x.dk", currentVerified: true, takenByAnother: true) }

        let now = "2026-12-01T12:00:00Z"
        func open(_ email: String, used: String? = nil, expires: String = "2026-12-02T12:00:00Z", taken: Bool = false) throws -> AddressVerification.Outcome {
            try AddressVerification.open(linkEmail: email, usedAt: used, expiresAt: expires, now: now, current: "a@x.dk", takenByAnother: taken)
        }
        #expect(try open("a@x.dk") == .verified)
        #expect(try open("b@x.dk") == .changed(previous: "a@x.dk"))
        #expect(throws: KoblingError.self) { try open("a@x.dk", used: "2026-12-01T11:00:00Z") }
        #expect(throws: KoblingError.self) { try open("a@x.dk", expires: now) }
        #expect(throws: KoblingError.self) { try open("b@x.dk", taken: true) }
    }

    @Test func cursorsRoundTripAndRejectForgeries() throws {
        let cursor = Cursor.encode(["ærø", "per_1"])
        #expect(Cursor.decode(cursor) == ["ærø", "per_1"])
        let awkward = ["a \"quoted\" \\ back/slash", "line\nbreak\u{1}", ""]
        #expect(Cursor.decode(Cursor.encode(awkward)) == awkward)
        // Base64url without padding, for every length of the last group.
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "\u{FF}\u{FE}ø"] {
            let data = Data(text.utf8)
            let expected = data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(data.base64URLEncoded() == expected)
            #expect(Data(base64URLEncoded: expected) == data)
        }
        #expect(Cursor.decode("!!!") == nil)
        #expect(throws: KoblingError.self) { try PageRequest(limit: "0", cursor: nil) }
        #expect(try PageRequest(limit: "200", cursor: cursor).after == ["ærø", "per_1"])
    }

    @Test func pagesKeepOneRowToKnowThereIsMore() {
        let page = Page(fetched: [1, 2, 3], limit: 2) { [String($0)] }
        #expect(page.items == [1, 2])
        #expect(page.nextCursor.flatMap(Cursor.decode) == ["2"])
        #expect(Page(fetched: [1, 2], limit: 2) { [String($0)] }.nextCursor == nil)
    }

    @Test func idsArePrefixedRandomAndOpaque() {
        let ids = (0..<1000).map { _ in IDGenerator.random.next("per") }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.hasPrefix("per_") && $0.count == 30 })
        #expect(ids.allSatisfy { $0.dropFirst(4).allSatisfy { "0123456789abcdefghjkmnpqrstvwxyz".contains($0) } })
    }

    @Test func timestampsAreRFC3339UTC() {
        #expect(Timestamp.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_795_000_000.9)) == "2026-11-18T11:06:40Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
    }

    @Test func personChangesApplyAMergePatch() throws {
        let person = Person(id: "per_1", name: "Lea", headline: "Old", createdAt: "t0", updatedAt: "t0")
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"headline":null,"roles":["mentor","mentor"],"matchable":true}"#.utf8))
        let changed = try PersonChanges.apply(body, to: person, now: "t1")
        #expect(changed.headline == nil)
        #expect(changed.roles == [.mentor])
        #expect(changed.matchableSince == "t1")
        #expect(changed.version == 2 && changed.updatedAt == "t1")
        let unchanged = try PersonChanges.apply(.object([:]), to: person, now: "t1")
        #expect(unchanged == person)
    }

    @Test func publicDocumentsHoldOnlyPublicFields() throws {
        let person = Person(id: "per_1", name: "Åse", headline: "H", bio: "secret", roles: [.researcher], region: "Fyn", publicFields: [.headline], createdAt: "t", updatedAt: "t")
        let document = try JSONSerialization.jsonObject(with: Data(PersonDocument.publicView(person).utf8)) as? [String: Any]
        #expect(Set(document?.keys ?? [:].keys) == ["id", "name", "headline"])
    }

    @Test func messagesEncodeDanishHeadersAndBodies() {
        let message = MailMessage(
            from: Mailbox("hub@kobling.test", name: "Kobling Hub"), to: [Mailbox("a@b.dk", name: "Søren Ågaard")],
            subject: "Velkommen til Kobling – æ, ø og å", text: "Hej Søren,\n" + String(repeating: "æøå ", count: 40), html: "<p>Hej</p>")
        let rendered = MessageRenderer.render(message, messageID: "abc@kobling.test", date: Date(timeIntervalSince1970: 0))
        #expect(rendered.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"))
        #expect(rendered.contains("To: =?UTF-8?B?"))
        #expect(rendered.contains("Subject: =?UTF-8?B?"))
        #expect(rendered.contains("multipart/alternative"))
        #expect(rendered.split(separator: "\r\n", omittingEmptySubsequences: false).allSatisfy { $0.utf8.count <= 78 })
        #expect(rendered.allSatisfy { $0.isASCII })
        #expect(QuotedPrintable.decode(QuotedPrintable.encode("Hej Søren,\r\n" + String(repeating: "æøå ", count: 40))).contains("æøå æøå"))
        let subject = rendered.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") }!
        let encoded = subject.dropFirst("Subject: =?UTF-8?B?".count).dropLast(2)
        #expect(String(data: Data(base64Encoded: String(encoded))!, encoding: .utf8)?.hasPrefix("Velkommen til Kobling") == true)
    }
}

/// The terms of a claim on background work.
@Suite struct LeaseTests {
    @Test func aClaimHoldsForItsDurationAndIsRenewedWellBeforeItEnds() {
        let terms = LeaseTerms(duration: 120)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(terms.renewal == 40)
        #expect(terms.expiry(from: now) == now + 120)
        #expect(!terms.isDue(renewedAt: now, now: now + 39))
        #expect(terms.isDue(renewedAt: now, now: now + 40))
        // A renewal asked for longer than half the claim is brought down to half.
        #expect(LeaseTerms(duration: 10, renewal: 9).renewal == 5)
        let holder = LeaseHolder.forThisProcess("outbox")
        #expect(holder.id.hasPrefix("outbox@") && holder.id.contains(":\(ProcessInfo.processInfo.processIdentifier):"))
        #expect(holder != LeaseHolder.forThisProcess("outbox"), "each worker's claims carry a name of its own")
    }
}
