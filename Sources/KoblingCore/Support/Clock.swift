import Foundation

/// The one source of "now" in Kobling; tests inject a fixed or stepping clock.
public struct Clock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    public func now() -> Date {
        read()
    }

    public static let system = Clock { Date() }

    /// A clock that starts at `start` and can be moved forward by tests.
    public static func manual(_ start: Date) -> (Clock, ManualTime) {
        let time = ManualTime(start)
        return (Clock { time.current }, time)
    }
}

/// Mutable time behind a manual clock.
public final class ManualTime: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date

    init(_ start: Date) {
        value = start
    }

    public var current: Date {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    public func advance(by seconds: TimeInterval) {
        lock.lock()
        value += seconds
        lock.unlock()
    }
}
