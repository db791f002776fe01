import Foundation
import KoblingCore
import Synchronization
import Testing

/// The threads that run blocking work: never more at once than the pool has, callers beyond the
/// queue's bound or past the deadline refused with 503's error, and none left waiting for ever.
@Suite struct WorkerPoolTests {
    /// A gate that work blocks on until the test opens it.
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        private let entered = Atomic<Int>(0)

        /// Blocks its (pool) thread until `open`.
        func pass() {
            entered.add(1, ordering: .relaxed)
            semaphore.wait()
        }

        func open(_ count: Int) {
            for _ in 0..<count { semaphore.signal() }
        }

        var waiting: Int { entered.load(ordering: .relaxed) }

        /// Runs `body`, and when it throws opens the gate for every caller it may hold: a task
        /// group waits for its children before it rethrows, and children held at a closed gate
        /// would keep the test, and the test run, waiting for ever instead of failing.
        func opening<T>(onFailureOf body: () async throws -> T) async throws -> T {
            do {
                return try await body()
            } catch {
                open(1000)
                throw error
            }
        }
    }

    /// Counters the work updates from the pool's threads.
    final class Probe: Sendable {
        let running = Atomic<Int>(0)
        let most = Atomic<Int>(0)
        let ran = Atomic<Bool>(false)
    }

    @Test func workRunsOnAtMostThePoolsThreadsAndEveryCallerGetsItsOwnAnswer() async throws {
        let pool = WorkerPool(name: "test", limits: .init(threads: 3))
        let probe = Probe()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for value in 0..<200 {
                group.addTask {
                    try await pool.run {
                        let now = probe.running.add(1, ordering: .relaxed).newValue
                        probe.most.max(now, ordering: .relaxed)
                        usleep(200)
                        probe.running.subtract(1, ordering: .relaxed)
                        return value * 2
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.sorted() == (0..<200).map { $0 * 2 })
        let overlap = probe.most.load(ordering: .relaxed)
        #expect(overlap <= 3)
        #expect(overlap >= 2, "the work never overlapped; the test proved nothing")
        // A thread gives its answer, then counts itself free.
        try await waitUntil("the pool is idle") { pool.load.busy == 0 && pool.load.waiting == 0 }
    }

    @Test func errorsReachTheCaller() async throws {
        let pool = WorkerPool(name: "test", limits: .init(threads: 1))
        await #expect(throws: KoblingError.conflict("no")) {
            try await pool.run { throw KoblingError.conflict("no") }
        }
    }

    @Test func pastTheQueuesBoundACallerIsRefusedAtOnce() async throws {
        let pool = WorkerPool(name: "test", limits: .init(threads: 1, queueLimit: 2, maxWait: .seconds(60)))
        let gate = Gate()
        try await withThrowingTaskGroup(of: Void.self) { group in try await gate.opening {
            group.addTask { try await pool.run { gate.pass() } }
            try await waitUntil("the pool's thread is at the gate", timeout: .seconds(60)) { gate.waiting == 1 }
            for _ in 0..<2 { group.addTask { try await pool.run { gate.pass() } } }
            try await waitUntil("two callers wait", timeout: .seconds(60)) { pool.load.waiting == 2 }
            // The thread is busy and two wait: the next is refused without waiting.
            await #expect(throws: KoblingError.busy(retryAfterSeconds: 1, "The server is busy; try again shortly.")) {
                try await pool.run {}
            }
            #expect(pool.load.refusedFull == 1 && pool.load.busy == 1 && pool.load.waiting == 2)
            gate.open(3)
            try await group.waitForAll()
        } }
        #expect(pool.load.refusedFull == 1 && pool.load.refusedLate == 0 && pool.load.waiting == 0)
    }

    @Test func aCallerThatWaitedPastTheDeadlineIsRefusedWhileTheThreadIsStillBusy() async throws {
        let pool = WorkerPool(name: "test", limits: .init(threads: 1, queueLimit: 10, maxWait: .milliseconds(200)))
        let gate = Gate()
        let probe = Probe()
        try await withThrowingTaskGroup(of: Void.self) { group in try await gate.opening {
            group.addTask { try await pool.run { gate.pass() } }
            try await waitUntil("the pool's thread is at the gate", timeout: .seconds(60)) { gate.waiting == 1 }
            // The one thread stays blocked throughout; the waiting caller is answered anyway.
            await #expect(throws: KoblingError.self) {
                try await pool.run { probe.ran.store(true, ordering: .relaxed) }
            }
            #expect(pool.load.refusedLate == 1 && pool.load.busy == 1 && pool.load.waiting == 0)
            gate.open(1)
            try await group.waitForAll()
        } }
        let didRun = probe.ran.load(ordering: .relaxed)
        #expect(!didRun, "refused work must not run later")
        // The pool goes on serving.
        #expect(try await pool.run { 42 } == 42)
    }

    @Test func aReleasedPoolsThreadsEnd() async throws {
        var pool: WorkerPool? = WorkerPool(name: "kbl-released", limits: .init(threads: 2))
        _ = try await pool!.run { 1 }
        // A worker and the deadline sweeper (each names itself once it runs).
        try await waitUntil { Self.threads(named: "kbl-released") == 2 }
        pool = nil
        // The threads and the deadline sweeper end once the pool is gone.
        try await waitUntil { Self.threads(named: "kbl-released") == 0 }
    }

    /// Threads of this process whose name starts with `prefix` (Linux truncates names to 15 bytes).
    static func threads(named prefix: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.hasPrefix(prefix) == true
        }.count
    }
}
