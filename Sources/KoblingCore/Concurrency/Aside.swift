import Dispatch
import Foundation

/// Work started on a thread of its own while its caller goes on with other work, and waited for
/// when the caller needs its result: decoding rows already read, say, while the connection that
/// read them reads more. For callers that may block (a thread of their own, a worker pool's),
/// never a thread of the cooperative pool.
public final class Aside<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once by the work's thread before `done` is signalled, read after the wait.
    private var result: Result<T, any Error>?

    public init(name: String, _ work: @escaping @Sendable () throws -> T) {
        Thread.start(name: name) {
            self.result = Result(catching: work)
            self.done.signal()
        }
    }

    /// The work's result, once it is done (its error, if it threw). Called once.
    public func value() throws -> T {
        done.wait()
        return try result!.get()
    }
}
