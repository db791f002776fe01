import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import KoblingCore
import Testing

/// Pitches through the API: drafts, review, who sees what, interest and shortlists.
@Suite struct PitchTests {
    static let eyeTracking = #"""
        {"title":"Øjenstyring til patienter med ALS","problem":"Vi vil bruge øjenstyring, så patienter uden tale kan kommunikere med plejepersonalet.",
         "language":"da","clinicalDomain":"neurology","tags":["eye-tracking"],
         "roles":[{"role":"researcher","required":true},{"role":"startup","count":1}],
         "dataDescription":"Videooptagelser fra 40 konsultationer, ikke delt.","languages":["da","en"],"requiresSharedLanguage":true,
         "effortHoursPerMonth":10,"groupSize":{"min":2,"max":4},"visibility":"public"}
        """#

    /// Who takes part in each test: an organiser, a clinician who pitches and a researcher.
    struct Cast: Sendable {
        let organiser: Member
        let clinician: Member
        let researcher: Member
    }

    /// A fresh server with the tags the pitches name and the cast signed up.
    func withCast(_ body: @escaping @Sendable (any TestClientProtocol, Cast) async throws -> Void) async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        try await app.test { client in
            let organiser = try await client.organiser()
            for (id, kind, da, en) in [("neurology", "clinical_domain", "Neurologi", "Neurology"), ("eye-tracking", "data_modality", "Øjenstyring", "Eye tracking")] {
                let made = try await client.request(.post, "/v1/tags", json: #"{"id":"\#(id)","kind":"\#(kind)","label":{"da":"\#(da)","en":"\#(en)"}}"#, as: organiser)
                #expect(made.status == .created)
            }
            let clinician = try await client.signup("lene@rigshospitalet.dk", name: "Lene Holm")
            let researcher = try await client.signup("ali@dtu.dk", name: "Ali Rahimi")
            try await body(client, Cast(organiser: organiser, clinician: clinician, researcher: researcher))
        }
    }

    @Test func aDraftIsSubmittedApprovedAndSeenByEveryoneOnceApproved() async throws {
        try await withCast { client, cast in
            let (organiser, clinician, researcher) = (cast.organiser, cast.clinician, cast.researcher)

            let created = try await client.request(.post, "/v1/pitches", json: Self.eyeTracking, as: clinician)
            #expect(created.status == .created, "\(created.text)")
            let pitch = try created.json()
            let id = try #require(pitch["id"] as? String)
            #expect(pitch["status"] as? String == "draft")
            #expect(pitch["authorId"] as? String == clinician.personId)
            #expect(pitch["language"] as? String == "da")
            #expect((pitch["roles"] as? [[String: Any]])?.map { $0["role"] as? String } == ["researcher", "startup"])
            #expect((pitch["roles"] as? [[String: Any]])?.map { $0["required"] as? Bool } == [true, false])
            #expect(pitch["returnReason"] is NSNull)
            #expect(created.headers[.eTag] == "\"v1\"")

            // A draft is its author's and the organisers' alone.
            #expect(try await client.request(.get, "/v1/pitches/\(id)").status == .notFound)
            #expect(try await client.request(.get, "/v1/pitches/\(id)", as: researcher).status == .notFound)
            #expect(try await client.request(.get, "/v1/pitches/\(id)", as: clinician).status == .ok)
            #expect(try await client.request(.get, "/v1/pitches", as: researcher).items().isEmpty)
            #expect(try await client.request(.get, "/v1/pitches", as: organiser).items().map { $0["id"] as? String } == [id])

            // Only organisers review, and only what was submitted; a wrong step names the status.
            let early = try await client.request(.post, "/v1/pitches/\(id)/approve", as: organiser)
            #expect(early.status == .conflict)
            #expect(try early.problem()["detail"] as? String == "The pitch is draft; approve applies only to a pitch that is submitted.")
            #expect(try await client.request(.post, "/v1/pitches/\(id)/submit", as: researcher).status == .forbidden)
            #expect(try await client.request(.post, "/v1/pitches/\(id)/submit", as: clinician).json()["status"] as? String == "submitted")
            #expect(try await client.request(.post, "/v1/pitches/\(id)/approve", as: clinician).status == .forbidden)

            // Returned with a reason (none is a 422), edited and submitted again.
            let noReason = try await client.request(.post, "/v1/pitches/\(id)/return", json: "{}", as: organiser)
            #expect(noReason.status == .unprocessableContent)
            #expect(try noReason.pointers() == ["/reason"])
            let returned = try await client.request(.post, "/v1/pitches/\(id)/return", json: #"{"reason":"Sig lidt mere om data."}"#, as: organiser).json()
            #expect(returned["status"] as? String == "returned")
            #expect(returned["returnReason"] as? String == "Sig lidt mere om data.")
            #expect(try await client.request(.patch, "/v1/pitches/\(id)", json: #"{"dataDescription":"Videoer fra 40 konsultationer; kan deles efter aftale."}"#, as: clinician).status == .ok)
            let again = try await client.request(.post, "/v1/pitches/\(id)/submit", as: clinician).json()
            #expect(again["status"] as? String == "submitted")
            #expect(again["returnReason"] is NSNull)
            let approved = try await client.request(.post, "/v1/pitches/\(id)/approve", as: organiser)
            #expect(try approved.json()["status"] as? String == "approved")
            #expect(try approved.json()["approvedAt"] is String)

            // Approved and public: anyone sees it, and finds it by its words, tags, role and language.
            #expect(try await client.request(.get, "/v1/pitches/\(id)").status == .ok)
            for filter in ["q=%C3%B8jenstyring", "tag=neurology", "tag=eye-tracking", "role=researcher", "language=en", "status=approved", "author=\(clinician.personId)"] {
                #expect(try await client.request(.get, "/v1/pitches?\(filter)").items().map { $0["id"] as? String } == [id], "\(filter)")
            }
            for filter in ["q=sepsis", "tag=cardiology", "role=student", "language=de", "status=draft"] {
                #expect(try await client.request(.get, "/v1/pitches?\(filter)").items().isEmpty, "\(filter)")
            }
            let badFilter = try await client.request(.get, "/v1/pitches?status=sleeping")
            #expect(badFilter.status == .badRequest)

            // Members only (an organiser's change keeps it approved): anonymous callers no longer see it.
            #expect(try await client.request(.patch, "/v1/pitches/\(id)", json: #"{"visibility":"members"}"#, as: organiser).status == .ok)
            #expect(try await client.request(.get, "/v1/pitches/\(id)").status == .notFound)
            #expect(try await client.request(.get, "/v1/pitches").items().isEmpty)
            #expect(try await client.request(.get, "/v1/pitches/\(id)", as: researcher).status == .ok)
            // Its author changing an approved pitch sends it back for approval.
            #expect(try await client.request(.patch, "/v1/pitches/\(id)", json: #"{"effortHoursPerMonth":12}"#, as: clinician).status == .ok)
            #expect(try await client.request(.get, "/v1/pitches/\(id)", as: researcher).status == .notFound)
            let current = try await client.request(.get, "/v1/pitches/\(id)", as: clinician)
            #expect(try current.json()["status"] as? String == "submitted")
            #expect(try current.json()["approvedAt"] is NSNull)
        }
    }

    @Test func changesAreValidatedFieldByFieldAndGuardedByTheirVersion() async throws {
        try await withCast { client, cast in
            let (organiser, clinician) = (cast.organiser, cast.clinician)
            let bad = try await client.request(.post, "/v1/pitches", json: #"""
                {"title":"","language":"de","tags":["no-such-tag"],"roles":[{"role":"wizard"},{"role":"student","count":0}],
                 "groupSize":{"min":5,"max":3},"visibility":"secret","effortHoursPerMonth":-1,"requiresSharedLanguage":true,"colour":"blue"}
                """#, as: clinician)
            #expect(bad.status == .unprocessableContent)
            #expect(Set(try bad.pointers()) == [
                "/colour", "/title", "/problem", "/language", "/roles/0/role", "/roles/1/count", "/groupSize", "/visibility",
                "/effortHoursPerMonth", "/languages",
            ])
            let unknownTag = try await client.request(.post, "/v1/pitches", json: #"{"title":"T","problem":"P","language":"en","tags":["no-such-tag"],"organisationId":null}"#, as: clinician)
            #expect(try unknownTag.pointers() == ["/tags/0"])
            let tooMany = try await client.request(.post, "/v1/pitches", json: #"{"title":"T","problem":"P","language":"en","roles":[{"role":"student","count":5}]}"#, as: clinician)
            #expect(try tooMany.pointers() == ["/roles/0/count"])

            let id = try #require(try await client.request(.post, "/v1/pitches", json: Self.eyeTracking, as: clinician).json()["id"] as? String)
            // A merge patch changes one bound of the group size and leaves the other.
            let patched = try await client.request(.patch, "/v1/pitches/\(id)", json: #"{"groupSize":{"max":6}}"#, as: clinician, headers: [.ifMatch: "\"v1\""])
            #expect(patched.status == .ok)
            #expect(try patched.json()["groupSize"] as? [String: Int] == ["min": 2, "max": 6])
            #expect(patched.headers[.eTag] == "\"v2\"")
            let stale = try await client.request(.patch, "/v1/pitches/\(id)", json: #"{"title":"Ny titel"}"#, as: clinician, headers: [.ifMatch: "\"v1\""])
            #expect(stale.status == .preconditionFailed)

            // A withdrawn pitch can no longer change; one never matched can be deleted.
            #expect(try await client.request(.post, "/v1/pitches/\(id)/withdraw", as: clinician).json()["status"] as? String == "withdrawn")
            let frozen = try await client.request(.patch, "/v1/pitches/\(id)", json: #"{"title":"Ny titel"}"#, as: clinician)
            #expect(frozen.status == .conflict)
            try frozen.problem()
            #expect(try await client.request(.post, "/v1/pitches/\(id)/close", as: clinician).status == .conflict)
            #expect(try await client.request(.delete, "/v1/pitches/\(id)", as: clinician).status == .noContent)
            #expect(try await client.request(.get, "/v1/pitches/\(id)", as: organiser).status == .notFound)

            // An organiser pitches on a clinician's behalf; a member may not.
            let onBehalf = try await client.request(.post, "/v1/pitches", json: #"{"title":"Sepsis","problem":"Tidlig sepsis.","language":"da","authorId":"\#(clinician.personId)"}"#, as: organiser)
            #expect(onBehalf.status == .created)
            #expect(try onBehalf.json()["authorId"] as? String == clinician.personId)
            let other = try await client.signup("ole@example.dk", name: "Ole")
            #expect(try await client.request(.post, "/v1/pitches", json: #"{"title":"S","problem":"P","language":"da","authorId":"\#(clinician.personId)"}"#, as: other).status == .forbidden)
            // The author of the pitch made for them may change it.
            let made = try #require(try onBehalf.json()["id"] as? String)
            #expect(try await client.request(.patch, "/v1/pitches/\(made)", json: #"{"problem":"Tidlig opsporing af sepsis."}"#, as: clinician).status == .ok)
            #expect(try await client.request(.patch, "/v1/pitches/\(made)", json: #"{"problem":"Nej."}"#, as: other).status == .forbidden)
        }
    }

    @Test func membersSayTheyAreInterestedAndTheAuthorShortlists() async throws {
        try await withCast { client, cast in
            let (organiser, clinician, researcher) = (cast.organiser, cast.clinician, cast.researcher)
            let student = try await client.signup("sara@ku.dk", name: "Sara Nielsen")
            let id = try #require(try await client.request(.post, "/v1/pitches", json: Self.eyeTracking, as: clinician).json()["id"] as? String)

            // Interest waits for approval: a draft is not seen, a submitted pitch takes none.
            #expect(try await client.request(.put, "/v1/pitches/\(id)/interest", as: researcher).status == .notFound)
            _ = try await client.request(.post, "/v1/pitches/\(id)/submit", as: clinician)
            #expect(try await client.request(.put, "/v1/pitches/\(id)/interest", as: organiser).status == .conflict)
            _ = try await client.request(.post, "/v1/pitches/\(id)/approve", as: organiser)

            #expect(try await client.request(.put, "/v1/pitches/\(id)/interest", as: researcher).status == .noContent)
            #expect(try await client.request(.put, "/v1/pitches/\(id)/interest", as: researcher).status == .noContent)
            #expect(try await client.request(.put, "/v1/pitches/\(id)/interest", as: student).status == .noContent)
            #expect(try await client.request(.put, "/v1/pitches/\(id)/interest", as: clinician).status == .conflict)
            #expect(try await client.request(.put, "/v1/pitches/\(id)/interest").status == .unauthorized)
            #expect(try await client.request(.delete, "/v1/pitches/\(id)/interest", as: student).status == .noContent)
            // The author sees who is interested; nobody else but organisers does.
            #expect(try await client.request(.get, "/v1/pitches/\(id)/interest", as: researcher).status == .forbidden)
            let interested = try await client.request(.get, "/v1/pitches/\(id)/interest", as: clinician).items()
            #expect(interested.map { $0["name"] as? String } == ["Ali Rahimi"])

            #expect(try await client.request(.put, "/v1/pitches/\(id)/shortlist/\(student.personId)", as: clinician).status == .noContent)
            #expect(try await client.request(.put, "/v1/pitches/\(id)/shortlist/\(researcher.personId)", as: student).status == .forbidden)
            #expect(try await client.request(.put, "/v1/pitches/\(id)/shortlist/per_nobody", as: clinician).status == .notFound)
            #expect(try await client.request(.put, "/v1/pitches/\(id)/shortlist/\(clinician.personId)", as: clinician).status == .conflict)
            #expect(try await client.request(.get, "/v1/pitches/\(id)/shortlist", as: organiser).items().map { $0["personId"] as? String } == [student.personId])
            #expect(try await client.request(.delete, "/v1/pitches/\(id)/shortlist/\(student.personId)", as: clinician).status == .noContent)
            #expect(try await client.request(.get, "/v1/pitches/\(id)/shortlist", as: clinician).items().isEmpty)

            // Each sees their pitches and their interest in their export.
            let export = try await client.request(.get, "/v1/me/export", as: clinician).json()
            #expect((export["pitches"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            #expect(try await client.request(.get, "/v1/me/export", as: researcher).json()["interestedInPitches"] as? [String] == [id])
            // A person who leaves takes their pitches and their interest with them.
            #expect(try await client.request(.delete, "/v1/people/\(researcher.personId)", as: organiser).status == .noContent)
            #expect(try await client.request(.get, "/v1/pitches/\(id)/interest", as: clinician).items().isEmpty)
            #expect(try await client.request(.delete, "/v1/people/\(clinician.personId)", as: organiser).status == .noContent)
            #expect(try await client.request(.get, "/v1/pitches/\(id)", as: organiser).status == .notFound)

        }
    }

    /// The life cycle's table, on its own: each action from every status.
    @Test func everyActionAppliesOnlyToItsStatuses() throws {
        for status in PitchStatus.allCases {
            var pitch = Pitch(id: "pit_1", authorId: "per_1", now: "2026-12-01T00:00:00Z")
            pitch.status = status
            for action in PitchAction.allCases {
                let result = Result { () throws(KoblingError) in try pitch.applying(action, reason: "Mere om data.", now: "2026-12-02T00:00:00Z") }
                switch result {
                case .success(let next):
                    #expect(action.from.contains(status))
                    #expect(next.status == action.to)
                    #expect(next.version == 2)
                case .failure(let error):
                    #expect(!action.from.contains(status))
                    guard case .conflict = error else { Issue.record("\(action) from \(status): \(error)"); continue }
                }
            }
        }
        #expect(PitchAction.withdraw.from.contains(.approved) && !PitchAction.withdraw.from.contains(.matched))
    }
}
