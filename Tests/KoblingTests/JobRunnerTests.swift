import Background
import Foundation
import KoblingCore
import Storage
import Synchronization
import Testing

/// The job runner on a real database: leases, retries with back-off, giving up, and a job cut
/// off by a crash taken up again.
@Suite struct JobRunnerTests {
    /// A handler that records each run and fails the first `failures` of them.
    final class Recorder: JobHandler, Sendable {
        let kind: String
        let retry = JobRetry(first: 10, last: 40, maxAttempts: 3)
        let runs = Mutex<[String]>([])
        let givenUp = Mutex<[String: String]>([:])
        let failures: Int
        let permanent: Bool

        init(kind: String = "test", failures: Int = 0, permanent: Bool = false) {
            self.kind = kind
            self.failures = failures
            self.permanent = permanent
        }

        func run(_ job: Job) async throws {
            let count = runs.withLock { runs in
                runs.append(job.id)
                return runs.count
            }
            if count <= failures {
                if permanent { throw PermanentJobFailure("the round was deleted") }
                throw CocoaError(.fileReadUnknown)
            }
        }

        func giveUp(_ job: Job, reason: String) async throws {
            givenUp.withLock { $0[job.id] = reason }
        }
    }

    @Test func aDueJobRunsOnceAndAJobWithAKeyIsEnqueuedOnce() async throws {
        let app = try TestApp()
        let recorder = Recorder()
        let runner = JobRunner(database: app.database, handlers: [recorder], settings: .manual)
        let first = try await app.database.enqueue(.init(kind: "test", key: "reminder:round-1"))
        let again = try await app.database.enqueue(.init(kind: "test", key: "reminder:round-1"))
        #expect(again.id == first.id)
        let later = try await app.database.enqueue(.init(kind: "test", dueAt: app.database.clock.now() + 3600))
        #expect(try await runner.runDue() == 1)
        #expect(recorder.runs.withLock { $0 } == [first.id])
        #expect(try await app.database.job(first.id).status == .done)
        #expect(try await app.database.job(first.id).attempts == 1)
        #expect(try await app.database.job(later.id).status == .queued)
        // Nothing more is due until the later one's time.
        #expect(try await runner.runDue() == 0)
        app.time.advance(by: 3600)
        #expect(try await runner.runDue() == 1)
        #expect(recorder.runs.withLock { $0 } == [first.id, later.id])
    }

    @Test func aFailingJobIsRetriedWithBackOffThenGivenUp() async throws {
        let app = try TestApp()
        let recorder = Recorder(failures: 5)
        let runner = JobRunner(database: app.database, handlers: [recorder], settings: .manual)
        let job = try await app.database.enqueue(.init(kind: "test", maxAttempts: 3))
        #expect(try await runner.runDue() == 1)
        var stored = try await app.database.job(job.id)
        #expect(stored.status == .queued)
        #expect(stored.lastError != nil)
        #expect(stored.dueAt == Timestamp.string(app.database.clock.now() + 10))
        // Not before its back-off has passed: 10 s, then 20 s.
        #expect(try await runner.runDue() == 0)
        app.time.advance(by: 10)
        #expect(try await runner.runDue() == 1)
        stored = try await app.database.job(job.id)
        #expect(stored.dueAt == Timestamp.string(app.database.clock.now() + 20))
        app.time.advance(by: 20)
        #expect(try await runner.runDue() == 1)
        stored = try await app.database.job(job.id)
        #expect(stored.status == .failed)
        #expect(stored.attempts == 3)
        #expect(recorder.givenUp.withLock { $0[job.id] }?.hasPrefix("It failed 3 times") == true)

        // An organiser retries it: queued at once, its attempts counted afresh.
        let retried = try await app.database.retryJob(job.id)
        #expect(retried.status == .queued)
        #expect(retried.attempts == 0)
        #expect(try await runner.runDue() == 1)
        #expect(try await app.database.job(job.id).status == .queued)
        await #expect(throws: KoblingError.self) { try await app.database.retryJob(job.id) }
    }

    @Test func aPermanentFailureIsGivenUpAtOnce() async throws {
        let app = try TestApp()
        let recorder = Recorder(failures: 1, permanent: true)
        let runner = JobRunner(database: app.database, handlers: [recorder], settings: .manual)
        let job = try await app.database.enqueue(.init(kind: "test"))
        #expect(try await runner.runDue() == 1)
        let stored = try await app.database.job(job.id)
        #expect(stored.status == .failed)
        #expect(stored.lastError == "the round was deleted")
        #expect(recorder.givenUp.withLock { $0[job.id] } == "the round was deleted")
    }

    /// A worker claimed the job and crashed: nobody renews its lease. Until the lease lapses no
    /// other worker takes it; then the next pass runs it, and only the holder of the lease settles.
    @Test func aJobCutOffByACrashIsTakenUpOnceItsLeaseLapses() async throws {
        let app = try TestApp()
        let recorder = Recorder()
        var settings = JobRunner.Settings.manual
        settings.lease = LeaseTerms(duration: 60)
        let runner = JobRunner(database: app.database, handlers: [recorder], settings: settings)
        let job = try await app.database.enqueue(.init(kind: "test"))
        let crashed = LeaseHolder(id: "jobs@crashed:1:a")
        let claimed = try await app.database.claimDueJobs(kinds: ["test"], holder: crashed, terms: settings.lease, limit: 5)
        #expect(claimed.map(\.id) == [job.id])
        #expect(claimed.first?.status == .running)

        #expect(try await runner.runDue() == 0)
        app.time.advance(by: 61)
        #expect(try await runner.runDue() == 1)
        #expect(recorder.runs.withLock { $0 } == [job.id])
        let stored = try await app.database.job(job.id)
        #expect(stored.status == .done)
        #expect(stored.attempts == 2)
        // The crashed worker's late outcome changes nothing.
        #expect(try await app.database.settleJob(job.id, holder: crashed, .failed("late")) == false)
        #expect(try await app.database.job(job.id).status == .done)
    }

    /// Every run was cut off: the job is given up rather than run a fourth time, its handler told.
    @Test func aJobWhoseEveryAttemptWasCutOffIsGivenUp() async throws {
        let app = try TestApp()
        let recorder = Recorder()
        let runner = JobRunner(database: app.database, handlers: [recorder], settings: .manual)
        let job = try await app.database.enqueue(.init(kind: "test", maxAttempts: 2))
        for index in 0..<2 {
            _ = try await app.database.claimDueJobs(kinds: ["test"], holder: LeaseHolder(id: "crashed-\(index)"), terms: LeaseTerms(duration: 5), limit: 1)
            app.time.advance(by: 6)
            #expect(try await app.database.reclaimLapsedJobs() == 1)
        }
        #expect(try await runner.runDue() == 1)
        #expect(recorder.runs.withLock { $0 }.isEmpty)
        let stored = try await app.database.job(job.id)
        #expect(stored.status == .failed)
        #expect(recorder.givenUp.withLock { $0[job.id] }?.contains("cut off") == true)
    }

    /// A round's run cut off by a crash is finished by the next pass, never left running.
    @Test func aRoundRunLeftRunningByACrashIsFinished() async throws {
        let app = try TestApp()
        try await app.makeOrganiser()
        let database = app.database
        try await app.test { client in
            let organiser = try await client.organiser()
            let clinician = try await client.signup("lene@rigshospitalet.dk", name: "Lene Holm")
            let created = try await client.request(.post, "/v1/pitches", json: """
                {"title":"Hearing tests at home","problem":"Hearing loss in older patients goes unnoticed.","language":"en","groupSize":{"min":1,"max":2}}
                """, as: clinician)
            let id = try #require(try created.json()["id"] as? String)
            #expect(try await client.request(.post, "/v1/pitches/\(id)/submit", as: clinician).status == .ok)
            #expect(try await client.request(.post, "/v1/pitches/\(id)/approve", as: organiser).status == .ok)
            let member = try await client.signup("mia@au.dk", name: "Mia Berg")
            let edited = try await client.request(.patch, "/v1/people/\(member.personId)", json: #"{"roles":["researcher"],"bio":"Hearing loss and hearing tests.","matchable":true}"#,
                                                  as: member, contentType: "application/merge-patch+json")
            #expect(edited.status == .ok)
        }
        let round = try await database.createRound(.object(["name": .string("Crash")]))
        let run = try await database.startRun(roundId: round.id)
        // The worker that took it began the run and died.
        let crashed = LeaseHolder(id: "jobs@crashed:2:b")
        _ = try await database.claimDueJobs(kinds: [RoundRun.jobKind], holder: crashed, terms: LeaseTerms(duration: 60), limit: 1)
        _ = try await database.beginRun(run.id)
        #expect(try await database.run(id: run.id)?.status == .running)
        app.time.advance(by: 61)
        let runner = JobRunner(database: database, handlers: [RoundRunHandler(database: database)], settings: .manual)
        #expect(try await runner.runDue() == 1)
        let finished = try #require(try await database.run(id: run.id))
        #expect(finished.status == .done)
        #expect(finished.objective ?? 0 > 0)
    }
}
