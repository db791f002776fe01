import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who holds claims on background work: one worker of one process. Its id names the host, the
/// process and a random part, so that it differs between restarts and between instances that
/// share a database.
public struct LeaseHolder: Sendable, Equatable, CustomStringConvertible {
    public let id: String

    public init(id: String) {
        self.id = id
    }

    /// A holder for this process: `role@host:pid:random`. The host is the kernel's name for it
    /// (`gethostname`), which asks no resolver.
    public static func forThisProcess(_ role: String) -> LeaseHolder {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count - 1) == 0 ? String(cString: name).prefix(40) : "localhost"
        let random = UInt32.random(in: 0...UInt32.max)
        return LeaseHolder(id: "\(role)@\(host):\(ProcessInfo.processInfo.processIdentifier):\(String(random, radix: 36))")
    }

    public var description: String { id }
}

/// How a claim on background work is held: a row claimed by a worker is its own until
/// `duration` has passed, unless renewed; a holder renews every `renewal`, while it works. A
/// claim that lapsed (its holder crashed, hung, or lost a row) goes back to the queue for any
/// worker to take: no work stays claimed without a live holder, and the work is written to be
/// safe to run twice.
public struct LeaseTerms: Sendable, Equatable {
    public var duration: TimeInterval
    public var renewal: TimeInterval

    public init(duration: TimeInterval, renewal: TimeInterval? = nil) {
        self.duration = max(duration, 1)
        self.renewal = min(renewal ?? duration / 3, self.duration / 2)
    }

    /// Two minutes, renewed every 40 s: longer than any SMTP reply is waited for.
    public static let standard = LeaseTerms(duration: 120)

    /// Until when a claim taken or renewed at `now` holds.
    public func expiry(from now: Date) -> Date {
        now + duration
    }

    /// Whether a holder that last renewed at `renewed` must renew now.
    public func isDue(renewedAt renewed: Date, now: Date) -> Bool {
        now.timeIntervalSince(renewed) >= renewal
    }
}
