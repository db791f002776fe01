import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Thread {
    /// Runs long blocking work on a new thread of its own and answers its result, so that no
    /// cooperative thread waits for it. For work that lasts (a whole send); short blocking calls
    /// go through a `WorkerPool`.
    public static func run<T: Sendable>(name: String, _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            start(name: name) { continuation.resume(returning: work()) }
        }
    }

    /// Starts a thread whose name the system shows too (in `top -H`, gdb and `/proc`), cut to the
    /// 15 bytes Linux keeps.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            nameThisThread(name)
            body()
        }
        thread.name = name
        thread.start()
    }
}

#if canImport(Glibc)
/// glibc's pthread_setname_np, which Swift's Glibc module leaves out (it is a GNU extension).
private let setName: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_setname_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32).self)
}()
#endif

private func nameThisThread(_ name: String) {
    #if canImport(Glibc)
    _ = setName?(pthread_self(), String(decoding: Array(name.utf8.prefix(15)), as: UTF8.self))
    #endif
}
