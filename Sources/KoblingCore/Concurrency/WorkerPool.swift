import Foundation

/// Threads of its own for work that blocks: a database call, a bcrypt hash, a large parse. Async
/// callers wait for a thread without holding one of Swift's cooperative threads (of which there
/// are as many as cores, and which every request needs to make progress): a synchronous database
/// call on one of them, waiting for a connection that only another blocked task would give back,
/// is how a server stops answering for good.
///
/// The wait is bounded twice: at most `queueLimit` callers wait, and none longer than `maxWait`;
/// past either, the caller gets `KoblingError.busy` at once (503 with Retry-After), so an
/// overloaded server sheds load instead of collapsing. Work that has started runs to its end.
///
/// Threads are started when work first needs them, up to `threads`, and end when the pool is
/// released.
public final class WorkerPool: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Threads that run work at once.
        public var threads: Int
        /// Callers that may wait for a thread; one more is refused.
        public var queueLimit: Int
        /// The longest a caller waits for a thread before it is refused.
        public var maxWait: Duration

        public init(threads: Int, queueLimit: Int = 1000, maxWait: Duration = .seconds(5)) {
            self.threads = max(1, threads)
            self.queueLimit = max(0, queueLimit)
            self.maxWait = maxWait
        }
    }

    /// What the pool is doing, for metrics.
    public struct Load: Sendable, Equatable {
        public var threads: Int
        /// Threads running work now.
        public var busy: Int
        /// Callers waiting for a thread now.
        public var waiting: Int
        /// Callers refused because `queueLimit` were waiting, since the pool started.
        public var refusedFull: Int
        /// Callers refused because they waited `maxWait`, since the pool started.
        public var refusedLate: Int
    }

    public let name: String
    public let limits: Limits
    private let core: Core

    public init(name: String, limits: Limits) {
        self.name = name
        self.limits = limits
        core = Core(name: name, limits: limits)
    }

    deinit {
        core.close()
    }

    /// Runs `work` on one of the pool's threads and answers its result; throws
    /// `KoblingError.busy` when the pool is too busy to take it.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            core.submit(Job(
                deadline: .now + limits.maxWait,
                run: { continuation.resume(with: Result { try work() }) },
                refuse: { continuation.resume(throwing: $0) }))
        }
    }

    public var load: Load { core.load }

    /// One piece of work, waiting for a thread. Exactly one of `run` and `refuse` is called.
    fileprivate struct Job {
        let deadline: ContinuousClock.Instant
        let run: @Sendable () -> Void
        let refuse: @Sendable (KoblingError) -> Void
    }

    /// The queue and the threads. Apart from `WorkerPool` so that the threads, which hold the
    /// core, do not keep the pool itself alive.
    private final class Core: @unchecked Sendable {
        let name: String
        let limits: Limits
        private let monitor = Monitor()
        private let workAvailable: Monitor.Condition
        private let headChanged: Monitor.Condition
        // Guarded by `monitor`.
        private var queue = FIFO<Job>()
        private var started = 0
        /// Threads waiting for work, and how many of them were signalled and are waking.
        private var idle = 0
        private var waking = 0
        private var busy = 0
        private var sweeperStarted = false
        private var closed = false
        private var refusedFull = 0
        private var refusedLate = 0

        init(name: String, limits: Limits) {
            self.name = name
            self.limits = limits
            workAvailable = monitor.makeCondition()
            headChanged = monitor.makeCondition()
        }

        var load: Load {
            monitor.withLock {
                Load(threads: limits.threads, busy: busy, waiting: queue.count, refusedFull: refusedFull, refusedLate: refusedLate)
            }
        }

        func submit(_ job: Job) {
            let refusal: KoblingError? = monitor.withLock {
                if closed { return .busy(retryAfterSeconds: 1, "The server is shutting down; try again shortly.") }
                // Work is refused only when it would wait: a free thread takes it however long the queue was.
                if idle <= waking && started == limits.threads && queue.count >= limits.queueLimit {
                    refusedFull += 1
                    return .busy(retryAfterSeconds: 1, "The server is busy; try again shortly.")
                }
                queue.append(job)
                if idle > waking {
                    waking += 1
                    monitor.signal(workAvailable)
                } else if started < limits.threads {
                    started += 1
                    Thread.start(name: "\(name).\(started)", work)
                }
                if queue.count == 1 {
                    if sweeperStarted {
                        monitor.signal(headChanged)
                    } else {
                        sweeperStarted = true
                        Thread.start(name: "\(name).deadline", sweep)
                    }
                }
                return nil
            }
            if let refusal { job.refuse(refusal) }
        }

        func close() {
            monitor.withLock {
                closed = true
                monitor.broadcast(workAvailable)
                monitor.signal(headChanged)
            }
        }

        /// A worker thread: runs jobs until the pool is closed and nothing is left.
        ///
        /// A job is run, refused and let go without the lock: its closures may hold the last
        /// reference to what owns the pool (a database), whose end closes the pool, which takes
        /// the lock. Let go under the lock, that was a thread waiting for itself, for ever, and
        /// every other thread of the pool with it.
        private func work() {
            while let (job, late) = nextJob() {
                // The thread counts as free as soon as the answer is given; the job is let go
                // after that, still without the lock.
                withExtendedLifetime(job) {
                    if late {
                        job.refuse(Self.late)
                    } else {
                        job.run()
                        monitor.withLock { busy -= 1 }
                    }
                }
            }
        }

        /// The next job for a worker, and whether it waited past its deadline (then it is
        /// counted refused, and not busy); nil once the pool is closed and nothing is left.
        private func nextJob() -> (Job, late: Bool)? {
            monitor.withLock {
                while true {
                    guard let job = queue.popFirst() else {
                        if closed { return nil }
                        idle += 1
                        monitor.wait(workAvailable)
                        idle -= 1
                        waking = max(0, waking - 1)
                        continue
                    }
                    if queue.isEmpty { monitor.signal(headChanged) }
                    if job.deadline < .now {
                        refusedLate += 1
                        return (job, true)
                    }
                    busy += 1
                    return (job, false)
                }
            }
        }

        /// Refuses jobs that waited past their deadline while every thread was busy. Jobs wait in
        /// the order they came and all wait as long, so the first one is the next to expire. A
        /// job is refused and let go without the lock, as in `work`.
        private func sweep() {
            while let job = nextExpired() {
                job.refuse(Self.late)
            }
        }

        /// The first job once it has waited past its deadline; nil once the pool is closed.
        private func nextExpired() -> Job? {
            monitor.withLock {
                while !closed {
                    guard let deadline = queue.first?.deadline else {
                        monitor.wait(headChanged)
                        continue
                    }
                    let now = ContinuousClock.now
                    if deadline <= now, let job = queue.popFirst() {
                        refusedLate += 1
                        return job
                    }
                    monitor.wait(headChanged, for: deadline - now)
                }
                return nil
            }
        }

        private static let late = KoblingError.busy(retryAfterSeconds: 1, "The server is busy; try again shortly.")
    }
}
