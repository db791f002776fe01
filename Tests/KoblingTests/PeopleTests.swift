import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct PeopleTests {
    func addTags(_ client: any TestClientProtocol, as organiser: Member) async throws {
        for tag in [
            #"{"id":"cardiology","kind":"clinical_domain","label":{"da":"Kardiologi","en":"Cardiology"}}"#,
            #"{"id":"nlp","kind":"ai_method","label":{"da":"Sprogteknologi","en":"Natural language processing"},"synonyms":["NLP"]}"#,
        ] {
            #expect(try await client.request(.post, "/v1/tags", json: tag, as: organiser).status == .created)
        }
    }

    @Test func aProfileShowsOthersOnlyWhatItMadePublic() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            try await addTags(client, as: organiser)
            let karen = try await client.signup("karen@example.dk", name: "Karen Bisgaard")
            let other = try await client.signup("other@example.dk", name: "Other")
            let patch = #"{"headline":"Overlæge","bio":"Hjertesvigt og hjemmemonitorering","roles":["clinician"],"tags":["cardiology"],"languages":["da"],"region":"Hovedstaden","availabilityHoursPerMonth":4,"links":[{"label":"Afdeling","url":"https://example.dk/kardio"}],"matchable":true,"publicFields":["headline","roles"]}"#
            let updated = try await client.request(.patch, "/v1/people/\(karen.personId)", json: patch, as: karen, contentType: "application/merge-patch+json")
            #expect(updated.status == .ok, "\(updated.text)")
            let own = try updated.json()
            #expect(own["bio"] as? String == "Hjertesvigt og hjemmemonitorering")
            #expect(own["matchable"] as? Bool == true)
            #expect(own["matchableSince"] is String)

            for viewer in [nil, other] as [Member?] {
                let seen = try await client.request(.get, "/v1/people/\(karen.personId)", as: viewer).json()
                #expect(Set(seen.keys) == ["id", "name", "headline", "roles"], "\(seen)")
            }
            let byOrganiser = try await client.request(.get, "/v1/people/\(karen.personId)", as: organiser).json()
            #expect(byOrganiser["bio"] != nil && byOrganiser["region"] as? String == "Hovedstaden")

            // Filters match only what the viewer may see: the region is private.
            let anonymousByRegion = try await client.request(.get, "/v1/people?region=hovedstaden").items()
            #expect(anonymousByRegion.isEmpty)
            let organiserByRegion = try await client.request(.get, "/v1/people?region=hovedstaden", as: organiser).items()
            #expect(organiserByRegion.map { $0["name"] as? String } == ["Karen Bisgaard"])
            let byRole = try await client.request(.get, "/v1/people?role=clinician").items()
            #expect(byRole.map { $0["id"] as? String } == [karen.personId])
            // The private bio is not searchable by others.
            #expect(try await client.request(.get, "/v1/people?q=hjemmemonitorering").items().isEmpty)
            #expect(try await client.request(.get, "/v1/people?q=hjemmemonitorering", as: organiser).items().count == 1)
        }
    }

    @Test func searchFindsDanishWordsWithÆØÅ() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            for (name, bio) in [("Birgitte Åberg", "Røntgenbilleder af brud på håndleddet"), ("Hanne Sørensen", "Øjensygdomme og fundusfotos"), ("Paul Andersen", "Machine learning platforms")] {
                let body = #"{"name":"\#(name)","bio":"\#(bio)","publicFields":["bio"]}"#
                #expect(try await client.request(.post, "/v1/people", json: body, as: organiser).status == .created)
            }
            func names(_ query: String) async throws -> [String] {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                return try await client.request(.get, "/v1/people?q=\(encoded)").items().compactMap { $0["name"] as? String }
            }
            #expect(try await names("øjensygdomme") == ["Hanne Sørensen"])
            #expect(try await names("ØJEN") == ["Hanne Sørensen"])
            #expect(try await names("håndleddet") == ["Birgitte Åberg"])
            #expect(try await names("åberg") == ["Birgitte Åberg"])
            #expect(try await names("rontgen") == [])
            #expect(try await names("røntgen brud") == ["Birgitte Åberg"])
            #expect(try await names("learning") == ["Paul Andersen"])

            // The index follows every change: an edit replaces the person's words, a deletion
            // takes them out, and a person added after a deletion has words of its own.
            let paul = try #require(try await client.request(.get, "/v1/people?q=learning").items().first?["id"] as? String)
            #expect(try await client.request(.patch, "/v1/people/\(paul)", json: #"{"bio":"Sprogmodeller til journaler"}"#, as: organiser).status == .ok)
            #expect(try await names("learning") == [])
            #expect(try await names("sprogmodeller") == ["Paul Andersen"])
            #expect(try await client.request(.delete, "/v1/people/\(paul)", as: organiser).status == .noContent)
            #expect(try await names("sprogmodeller") == [])
            let late = #"{"name":"Lise Holm","bio":"Sprogmodeller og tale","publicFields":["bio"]}"#
            #expect(try await client.request(.post, "/v1/people", json: late, as: organiser).status == .created)
            #expect(try await names("sprogmodeller") == ["Lise Holm"])
            #expect(try await names("øjensygdomme") == ["Hanne Sørensen"])
        }
    }

    @Test func editsAreValidatedFieldByField() async throws {
        try await TestApp().test { client in
            let member = try await client.signup("rasmus@example.dk")
            let patch = #"{"name":"","roles":["wizard"],"tags":["no-such-tag"],"languages":["dansk"],"availabilityHoursPerMonth":-3,"links":[{"label":"x","url":"javascript:alert(1)"}],"id":"per_x"}"#
            let response = try await client.request(.patch, "/v1/people/\(member.personId)", json: patch, as: member)
            #expect(response.status == .unprocessableContent)
            #expect(Set(try response.pointers()) == ["/name", "/roles/0", "/languages/0", "/availabilityHoursPerMonth", "/links/0/url", "/id"])
            let unknownTag = try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"tags":["no-such-tag"]}"#, as: member)
            #expect(try unknownTag.pointers() == ["/tags/0"])
        }
    }

    @Test func ifMatchRefusesALostUpdate() async throws {
        try await TestApp().test { client in
            let member = try await client.signup("emil@example.dk")
            let read = try await client.request(.get, "/v1/people/\(member.personId)", as: member)
            let etag = try #require(read.headers[.eTag])
            let first = try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"headline":"One"}"#, as: member, headers: [.ifMatch: etag])
            #expect(first.status == .ok)
            #expect(first.headers[.eTag] != etag)
            let second = try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"headline":"Two"}"#, as: member, headers: [.ifMatch: etag])
            #expect(second.status == .preconditionFailed)
            try second.problem()
            let now = try await client.request(.get, "/v1/people/\(member.personId)", as: member).json()
            #expect(now["headline"] as? String == "One")
        }
    }

    @Test func nullClearsAField() async throws {
        try await TestApp().test { client in
            let member = try await client.signup("maja@example.dk")
            try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"headline":"CEO","region":"Sjælland"}"#, as: member)
            let cleared = try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"headline":null}"#, as: member).json()
            #expect(cleared["headline"] == nil)
            #expect(cleared["region"] as? String == "Sjælland")
        }
    }

    @Test func pagesWalkTheWholeDirectoryOnceInNameOrder() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let names = (0..<23).map { String(format: "Person %02d", $0) }
            for name in names.shuffled() {
                try await client.request(.post, "/v1/people", json: #"{"name":"\#(name)"}"#, as: organiser)
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await client.request(.get, "/v1/people?limit=5" + (cursor.map { "&cursor=\($0)" } ?? "")).json()
                let items = try #require(page["items"] as? [[String: Any]])
                #expect(items.count <= 5)
                seen += items.compactMap { $0["name"] as? String }
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            #expect(seen == (names + ["Organiser"]).sorted())
        }
    }

    @Test func organisersAddAndRemoveProfilesWithoutAccounts() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let created = try await client.request(.post, "/v1/people", json: #"{"name":"Henrik Vang","roles":["mentor"],"matchable":true}"#, as: organiser)
            #expect(created.status == .created)
            #expect(created.headers[.eTag] == "\"v1\"")
            let id = try #require(try created.json()["id"] as? String)
            let nameless = try await client.request(.post, "/v1/people", json: #"{"roles":["mentor"]}"#, as: organiser)
            #expect(try nameless.pointers() == ["/name"])
            #expect(try await client.request(.get, "/v1/people?role=mentor").items().count == 1)
            // A role is matched whole, not as part of another word.
            #expect(try await client.request(.get, "/v1/people?role=student").items().isEmpty)
            #expect(try await client.request(.get, "/v1/people?matchable=true", as: organiser).items().count == 1)
            #expect(try await client.request(.get, "/v1/people?matchable=true").status == .unauthorized)
            #expect(try await client.request(.delete, "/v1/people/\(id)", as: organiser).status == .noContent)
            #expect(try await client.request(.get, "/v1/people/\(id)").status == .notFound)
            #expect(try await client.request(.get, "/v1/people/\(id)/memberships").status == .notFound)
            #expect(try await client.request(.get, "/v1/people?role=mentor").items().isEmpty)
        }
    }
}
