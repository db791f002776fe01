import Foundation

/// A limit of so many attempts in any window of time (failed log-ins, sign-ups, subscription
/// requests): whether one more may start now and, if not, how long until it may.
public enum SlidingWindow {
    /// Whole seconds until another attempt may start, or nil when it may start now. `attempts`
    /// are the times of earlier attempts, oldest first; those older than `window` do not count.
    public static func wait(after attempts: [Date], limit: Int, window: TimeInterval, now: Date) -> Int? {
        let recent = attempts.filter { now.timeIntervalSince($0) < window }
        guard recent.count >= limit else { return nil }
        // Free again when the oldest of the last `limit` attempts leaves the window.
        let oldest = recent[recent.count - max(limit, 1)]
        return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
    }
}
