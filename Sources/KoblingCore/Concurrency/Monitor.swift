#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with two condition variables, for threads that wait on each other. Timed waits use
/// the monotonic clock where the platform lets a condition variable choose one, so that a change
/// of the wall clock neither cuts a wait short nor stretches it.
final class Monitor: @unchecked Sendable {
    /// A condition variable of this monitor's mutex.
    struct Condition {
        fileprivate let pointer: UnsafeMutablePointer<pthread_cond_t>
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var conditions: [UnsafeMutablePointer<pthread_cond_t>] = []

    init() {
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        for condition in conditions {
            pthread_cond_destroy(condition)
            condition.deallocate()
        }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// A new condition variable; made before any thread uses the monitor.
    func makeCondition() -> Condition {
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        #if canImport(Glibc)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #else
        pthread_cond_init(condition, nil)
        #endif
        conditions.append(condition)
        return Condition(pointer: condition)
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits, inside a `withLock`, until signalled (or spuriously woken).
    func wait(_ condition: Condition) {
        pthread_cond_wait(condition.pointer, mutex)
    }

    /// Waits, inside a `withLock`, until signalled or `duration` has passed.
    func wait(_ condition: Condition, for duration: Duration) {
        #if canImport(Glibc)
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        #else
        var now = timeval()
        gettimeofday(&now, nil)
        var deadline = timespec(tv_sec: now.tv_sec, tv_nsec: Int(now.tv_usec) * 1000)
        #endif
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
        deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_cond_timedwait(condition.pointer, mutex, &deadline)
    }

    func signal(_ condition: Condition) {
        pthread_cond_signal(condition.pointer)
    }

    func broadcast(_ condition: Condition) {
        pthread_cond_broadcast(condition.pointer)
    }
}
