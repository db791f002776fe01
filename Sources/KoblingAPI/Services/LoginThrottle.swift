import Foundation
import KoblingCore

/// Counts failed log-ins per address and per client in a sliding window. Past the limit, log-ins
/// for that key are refused with 429 until the oldest failure leaves the window. Kept in memory:
/// a restart forgets it, which only makes an attacker start over.
public actor LoginThrottle {
    private let limit: Int
    private let window: TimeInterval
    private let clock: Clock
    private var failures: [String: [Date]] = [:]

    public init(limit: Int, window: TimeInterval, clock: Clock) {
        self.limit = limit
        self.window = window
        self.clock = clock
    }

    /// Throws 429 when any key is over its limit.
    public func check(_ keys: [String]) throws(KoblingError) {
        let now = clock.now()
        for key in keys {
            let recent = prune(key, now: now)
            // Clients get a larger allowance than addresses: many people share an office network.
            let allowed = key.hasPrefix("client:") ? limit * 4 : limit
            if recent.count >= allowed, let oldest = recent.first {
                let wait = max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
                throw .tooManyRequests(retryAfterSeconds: wait, "Too many failed log-ins; try again in \(wait) seconds.")
            }
        }
    }

    public func recordFailure(_ keys: [String]) {
        let now = clock.now()
        for key in keys {
            failures[key, default: []].append(now)
        }
        if failures.count > 100_000 { failures = failures.filter { !prune($0.key, now: now).isEmpty } }
    }

    public func recordSuccess(_ key: String) {
        failures[key] = nil
    }

    private func prune(_ key: String, now: Date) -> [Date] {
        let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
        failures[key] = recent.isEmpty ? nil : recent
        return recent
    }
}
