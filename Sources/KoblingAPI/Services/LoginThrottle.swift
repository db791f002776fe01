import Foundation
import KoblingCore

/// Counts log-in attempts per address and per client in a sliding window. An attempt is counted
/// when it starts, in the same step as the check, so that a burst sent at once gets no more tries
/// than the limit: each attempt past it is refused with 429 until the oldest leaves the window. A
/// successful attempt is forgiven (and clears the address's count). Kept in memory: a restart
/// forgets it, which only makes an attacker start over.
public actor LoginThrottle {
    /// An attempt under way: what it counted, so that success can take it back.
    public struct Attempt: Sendable {
        let keys: [String]
        let at: Date
    }

    private let limit: Int
    private let window: TimeInterval
    private let clock: Clock
    private var attempts: [String: [Date]] = [:]

    public init(limit: Int, window: TimeInterval, clock: Clock) {
        self.limit = limit
        self.window = window
        self.clock = clock
    }

    /// Counts an attempt for every key, or throws 429 (counting nothing) when any key is at its limit.
    public func begin(_ keys: [String]) throws(KoblingError) -> Attempt {
        let now = clock.now()
        for key in keys {
            // Clients get a larger allowance than addresses: many people share an office network.
            let allowed = key.hasPrefix("client:") ? limit * 4 : limit
            if let wait = SlidingWindow.wait(after: prune(key, now: now), limit: allowed, window: window, now: now) {
                throw .tooManyRequests(retryAfterSeconds: wait, "Too many failed log-ins; try again in \(wait) seconds.")
            }
        }
        for key in keys { attempts[key, default: []].append(now) }
        if attempts.count > 100_000 { attempts = attempts.filter { !prune($0.key, now: now).isEmpty } }
        return Attempt(keys: keys, at: now)
    }

    /// The attempt succeeded: it no longer counts, and the address starts afresh.
    public func succeeded(_ attempt: Attempt) {
        for key in attempt.keys {
            if key.hasPrefix("email:") {
                attempts[key] = nil
            } else if let index = attempts[key]?.lastIndex(of: attempt.at) {
                attempts[key]?.remove(at: index)
            }
        }
    }

    private func prune(_ key: String, now: Date) -> [Date] {
        let recent = (attempts[key] ?? []).filter { now.timeIntervalSince($0) < window }
        attempts[key] = recent.isEmpty ? nil : recent
        return recent
    }
}
