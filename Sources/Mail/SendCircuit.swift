import Foundation

/// When the whole stream backs off, rather than each recipient: a provider that sheds load
/// answers many messages in a row with 421 or 451, or drops connections, and retrying each
/// message on its own schedule keeps hammering it.
///
/// Transient failures in a row count (a success resets the count; a permanent refusal, which says
/// something of one recipient only, leaves it). At `threshold` the circuit opens: nothing is sent
/// for a pause that doubles each time it opens again, from `firstPause` to `lastPause`. When the
/// pause is over, sending tries again by itself; one more transient failure before a success opens
/// the circuit again at once, for twice as long, and a success closes it and forgets the pauses.
/// Setup faults (TLS, authentication, a refused sender) do not open the circuit. `setupFaultsToPause`
/// of them in a row, with no message through in between, say the setup needs an organiser: a
/// stream of n connections pauses after n + 1, so that one failed handshake on each of the
/// connections under way is only retried, and a setup that fails every connection pauses within
/// a round of them.
public struct SendCircuit: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        public var threshold: Int
        public var firstPause: TimeInterval
        public var lastPause: TimeInterval
        public var setupFaultsToPause: Int

        public init(threshold: Int = 5, firstPause: TimeInterval = 10, lastPause: TimeInterval = 600, setupFaultsToPause: Int = 2) {
            self.threshold = max(threshold, 1)
            self.firstPause = max(firstPause, 0)
            self.lastPause = max(lastPause, self.firstPause)
            self.setupFaultsToPause = max(setupFaultsToPause, 1)
        }

        /// The settings for a stream of `connections` under way at once: its setup faults pause
        /// after one more than that.
        public func forStream(of connections: Int) -> Settings {
            var settings = self
            settings.setupFaultsToPause = max(setupFaultsToPause, connections + 1)
            return settings
        }
    }

    public let settings: Settings
    /// Transient failures since the last success.
    public private(set) var failuresInARow = 0
    /// How often the circuit opened since the last success.
    public private(set) var opened = 0
    /// While open: until when nothing is sent.
    public private(set) var openUntil: Date?
    /// The failure that opened it last.
    public private(set) var reason: String?
    /// Setup faults since the last success.
    public private(set) var setupFaultsInARow = 0

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Whether a message may start at `now`.
    public func allows(at now: Date) -> Bool {
        guard let openUntil else { return true }
        return now >= openUntil
    }

    /// A message was taken: the circuit closes.
    public mutating func succeeded() {
        setupFaultsInARow = 0
        failuresInARow = 0
        opened = 0
        openUntil = nil
        reason = nil
    }

    /// A message failed on the setup (TLS, authentication, a refused sender); answers whether
    /// sending must now wait for an organiser.
    public mutating func failedOnSetup() -> Bool {
        setupFaultsInARow += 1
        return setupFaultsInARow >= settings.setupFaultsToPause
    }

    /// A message failed for a reason that may pass (4xx, a lost connection, a timeout). Answers
    /// the pause when this failure opened the circuit.
    @discardableResult
    public mutating func failedTransiently(_ detail: String, at now: Date) -> TimeInterval? {
        failuresInARow += 1
        // After a pause, the first failure opens it again; before, the threshold must be reached.
        let reopening = opened > 0 && openUntil.map { now >= $0 } == true
        guard reopening || (openUntil == nil && failuresInARow >= settings.threshold) else { return nil }
        let pause = min(settings.firstPause * pow(2, Double(opened)), settings.lastPause)
        opened += 1
        openUntil = now + pause
        reason = detail
        return pause
    }
}
