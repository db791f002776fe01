import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct OrganisationTests {
    @Test func theCreatorAdministersTheOrganisationAndItKeepsAnAdmin() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let maja = try await client.signup("maja@gazelab.dk", name: "Maja Thorsen")
            let omar = try await client.signup("omar@gazelab.dk", name: "Omar Haddad")
            let created = try await client.request(
                .post, "/v1/organisations", json: #"{"kind":"startup","name":"GazeLab ApS","description":"Eye-tracking for neurologi","website":"https://gazelab.example.com"}"#, as: maja)
            #expect(created.status == .created)
            let id = try #require(try created.json()["id"] as? String)

            #expect(try await client.request(.patch, "/v1/organisations/\(id)", json: #"{"region":"Hovedstaden"}"#, as: omar).status == .forbidden)
            let added = try await client.request(.put, "/v1/organisations/\(id)/members/\(omar.personId)", json: #"{"role":"member","title":"CTO"}"#, as: maja)
            #expect(added.status == .created)
            #expect(try await client.request(.put, "/v1/organisations/\(id)/members/\(omar.personId)", json: #"{"role":"member","title":"CTO"}"#, as: maja).status == .ok)

            let members = try await client.request(.get, "/v1/organisations/\(id)/members").items()
            #expect(members.map { $0["personName"] as? String } == ["Maja Thorsen", "Omar Haddad"])
            #expect(members.map { $0["role"] as? String } == ["admin", "member"])

            let lastAdmin = try await client.request(.delete, "/v1/me/memberships/\(id)", as: maja)
            #expect(lastAdmin.status == .conflict)
            try lastAdmin.problem()
            #expect(try await client.request(.put, "/v1/organisations/\(id)/members/\(maja.personId)", json: #"{"role":"member"}"#, as: maja).status == .conflict)

            #expect(try await client.request(.put, "/v1/organisations/\(id)/members/\(omar.personId)", json: #"{"role":"admin"}"#, as: maja).status == .ok)
            #expect(try await client.request(.delete, "/v1/me/memberships/\(id)", as: maja).status == .noContent)
            // PUT replaces the membership: the role changed to admin and the title was dropped.
            let me = try await client.request(.get, "/v1/me", as: omar).json()
            let memberships = try #require(me["memberships"] as? [[String: Any]])
            #expect(memberships.count == 1)
            #expect(memberships.first?["organisationId"] as? String == id)
            #expect(memberships.first?["role"] as? String == "admin")
            #expect(memberships.first?["title"] == nil)
            #expect(try await client.request(.get, "/v1/organisations/\(id)/members").items().map { $0["personName"] as? String } == ["Omar Haddad"])

            let nobody = try await client.request(.put, "/v1/organisations/\(id)/members/per_nobody", json: #"{"role":"member"}"#, as: omar)
            #expect(nobody.status == .notFound)
            try nobody.problem()
            #expect(try await client.request(.patch, "/v1/organisations/\(id)", json: #"{"region":"Hovedstaden"}"#, as: omar).status == .ok)

            // Memberships are read as stored documents: a new name or title shows at once on both sides.
            #expect(try await client.request(.patch, "/v1/organisations/\(id)", json: #"{"name":"GazeLab Nordic"}"#, as: omar).status == .ok)
            #expect(try await client.request(.patch, "/v1/people/\(omar.personId)", json: #"{"name":"Omar H. Haddad"}"#, as: omar).status == .ok)
            #expect(try await client.request(.put, "/v1/organisations/\(id)/members/\(omar.personId)", json: #"{"role":"admin","title":"CEO"}"#, as: omar).status == .ok)
            let seen = try await client.request(.get, "/v1/people/\(omar.personId)/memberships").items()
            #expect(seen.map { $0["organisationName"] as? String } == ["GazeLab Nordic"])
            #expect(seen.map { $0["title"] as? String } == ["CEO"])
            #expect(try await client.request(.get, "/v1/organisations/\(id)/members").items().map { $0["personName"] as? String } == ["Omar H. Haddad"])
            // Search finds the new name, and nothing once the organisation is gone.
            #expect(try await client.request(.get, "/v1/organisations?q=nordic").items().map { $0["id"] as? String } == [id])
            let organiser = try await client.organiser()
            #expect(try await client.request(.delete, "/v1/organisations/\(id)", as: organiser).status == .noContent)
            #expect(try await client.request(.get, "/v1/organisations?q=nordic").items().isEmpty)
        }
    }

    @Test func organisationsAreFilteredAndSearched() async throws {
        try await TestApp().test { client in
            let member = try await client.signup("a@example.dk")
            for body in [#"{"kind":"startup","name":"SøvnRo","description":"Søvnapnø i hjemmet","region":"Nordjylland"}"#,
                         #"{"kind":"hospital_department","name":"Øjenafdelingen","region":"Hovedstaden"}"#,
                         #"{"kind":"startup","name":"PathoLens","description":"Digital pathology"}"#] {
                #expect(try await client.request(.post, "/v1/organisations", json: body, as: member).status == .created)
            }
            let startups = try await client.request(.get, "/v1/organisations?kind=startup").items().compactMap { $0["name"] as? String }
            #expect(startups == ["PathoLens", "SøvnRo"])
            let found = try await client.request(.get, "/v1/organisations?q=s%C3%B8vnapn%C3%B8").items().compactMap { $0["name"] as? String }
            #expect(found == ["SøvnRo"])
            let north = try await client.request(.get, "/v1/organisations?region=nordjylland").items()
            #expect(north.count == 1)
            let invalid = try await client.request(.post, "/v1/organisations", json: #"{"kind":"guild","website":"ftp://x"}"#, as: member)
            #expect(Set(try invalid.pointers()) == ["/kind", "/name", "/website"])
        }
    }

    @Test func tagsAreManagedByOrganisersAndFoundInBothLanguages() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            let member = try await client.signup("m@example.dk")
            let tag = #"{"id":"ophthalmology","kind":"clinical_domain","label":{"da":"Øjensygdomme","en":"Ophthalmology"},"synonyms":["eye disease"]}"#
            #expect(try await client.request(.post, "/v1/tags", json: tag, as: member).status == .forbidden)
            #expect(try await client.request(.post, "/v1/tags", json: tag, as: organiser).status == .created)
            #expect(try await client.request(.post, "/v1/tags", json: tag, as: organiser).status == .conflict)
            for query in ["%C3%B8jen", "ophthal", "eye"] {
                let found = try await client.request(.get, "/v1/tags?q=\(query)").items()
                #expect(found.map { $0["id"] as? String } == ["ophthalmology"], "\(query)")
            }
            let renamed = try await client.request(.patch, "/v1/tags/ophthalmology", json: #"{"label":{"da":"Oftalmologi"}}"#, as: organiser).json()
            #expect((renamed["label"] as? [String: String]) == ["da": "Oftalmologi", "en": "Ophthalmology"])
            // The search index follows the rename, and the delete below.
            #expect(try await client.request(.get, "/v1/tags?q=oftal").items().map { $0["id"] as? String } == ["ophthalmology"])
            #expect(try await client.request(.get, "/v1/tags?q=%C3%B8jen").items().isEmpty)

            try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"tags":["ophthalmology"]}"#, as: member)
            #expect(try await client.request(.delete, "/v1/tags/ophthalmology", as: organiser).status == .conflict)
            try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"tags":[]}"#, as: member)
            #expect(try await client.request(.delete, "/v1/tags/ophthalmology", as: organiser).status == .noContent)
            #expect(try await client.request(.get, "/v1/tags/ophthalmology").status == .notFound)
            #expect(try await client.request(.get, "/v1/tags?q=ophthal").items().isEmpty)
        }
    }
}

extension OrganisationTests {
    /// A clinician writing a pitch is offered tags: the concepts in their words, in either language.
    @Test func tagsAreSuggestedFromATextInEitherLanguage() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            for tag in [#"{"id":"eye-tracking","kind":"data_modality","label":{"da":"Øjensporing","en":"Eye tracking"},"synonyms":["øjenstyring"]}"#,
                        #"{"id":"diabetes","kind":"clinical_domain","label":{"da":"Diabetes","en":"Diabetes"},"synonyms":["sukkersyge"]}"#] {
                #expect(try await client.request(.post, "/v1/tags", json: tag, as: organiser).status == .created)
            }
            let member = try await client.signup("clinician@example.dk")
            let body = #"{"text":"Kan øjenstyring afsløre tidlige tegn på diabetes? Vi har et diabetesambulatorium.","language":"da"}"#
            let found = try await client.request(.post, "/v1/tags/suggest", json: body, as: member).items()
            #expect(found.map { ($0["tag"] as? [String: Any])?["id"] as? String } == ["diabetes", "eye-tracking"])
            #expect(found.first?["occurrences"] as? Int == 2)
            #expect(found.first?["words"] as? [String] == ["diabetes", "diabetesambulatorium"])
            #expect(((found.last?["tag"] as? [String: Any])?["label"] as? [String: String])?["en"] == "Eye tracking")
            let english = try await client.request(.post, "/v1/tags/suggest", json: #"{"text":"eye tracking in the clinic","language":"en"}"#, as: member).items()
            #expect(english.map { ($0["tag"] as? [String: Any])?["id"] as? String } == ["eye-tracking"])
            // One word as long as a text may be is read, not split: it names nothing.
            let long = #"{"text":"\#(String(repeating: "ø", count: 10_000))","language":"da"}"#
            #expect(try await client.request(.post, "/v1/tags/suggest", json: long, as: member).items().isEmpty)

            #expect(try await client.request(.post, "/v1/tags/suggest", json: body).status == .unauthorized)
            for bad in [#"{"text":"","language":"da"}"#, #"{"text":"x","language":"sv"}"#, #"{"language":"da"}"#,
                        #"{"text":"\#(String(repeating: "a", count: 10_001))","language":"en"}"#] {
                let refused = try await client.request(.post, "/v1/tags/suggest", json: bad, as: member)
                #expect(refused.status == .unprocessableContent, "\(bad.prefix(40))")
            }
        }
    }
}

@Suite struct IdempotencyTests {
    @Test func aRetriedCreateReturnsTheFirstAnswerAndCreatesOnce() async throws {
        try await TestApp().test { client in
            let member = try await client.signup("retry@example.dk")
            let body = #"{"kind":"startup","name":"ReHabit"}"#
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "3f0c1e1a-7b7e-4d0b-9a53-2b5f3c0e9d11"]
            let first = try await client.request(.post, "/v1/organisations", json: body, as: member, headers: key)
            #expect(first.status == .created)
            let again = try await client.request(.post, "/v1/organisations", json: body, as: member, headers: key)
            #expect(again.status == .created)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try again.json()["id"] as? String == (try first.json()["id"] as? String))
            #expect(again.headers[.eTag] == first.headers[.eTag])
            #expect(try await client.request(.get, "/v1/organisations?q=rehabit").items().count == 1)

            let other = try await client.request(.post, "/v1/organisations", json: #"{"kind":"startup","name":"Other"}"#, as: member, headers: key)
            #expect(other.status == .unprocessableContent)
            #expect(try other.pointers() == ["Idempotency-Key"])

            // A failed create frees its key: the corrected retry goes through.
            let freshKey: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "second-key"]
            let invalid = try await client.request(.post, "/v1/organisations", json: #"{"kind":"guild","name":"X"}"#, as: member, headers: freshKey)
            #expect(invalid.status == .unprocessableContent)
            let invalidAgain = try await client.request(.post, "/v1/organisations", json: #"{"kind":"guild","name":"X"}"#, as: member, headers: freshKey)
            #expect(invalidAgain.status == .unprocessableContent)
            #expect(invalidAgain.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)

            // Keys belong to one account.
            let someoneElse = try await client.signup("else@example.dk")
            let theirs = try await client.request(.post, "/v1/organisations", json: body, as: someoneElse, headers: key)
            #expect(theirs.status == .created)
            #expect(try theirs.json()["id"] as? String != (try first.json()["id"] as? String))
        }
    }

    @Test func concurrentRetriesWithOneKeyCreateOnce() async throws {
        try await TestApp().test { client in
            let member = try await client.signup("burst@example.dk")
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "burst-key"]
            let statuses = try await withThrowingTaskGroup(of: UInt16.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await client.request(
                            .post, "/v1/organisations", json: #"{"kind":"startup","name":"Burst"}"#, as: member, headers: key)
                        return UInt16(response.status.code)
                    }
                }
                return try await group.reduce(into: [UInt16]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 201 || $0 == 409 }, "\(statuses)")
            #expect(statuses.contains(201))
            #expect(try await client.request(.get, "/v1/organisations?q=burst").items().count == 1)
        }
    }
}
