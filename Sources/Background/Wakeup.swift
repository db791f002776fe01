import Synchronization

/// A wake-up call for a task that sleeps between rounds of work: `wait` returns as soon as
/// `signal` is called (at once if it was called since the last wait), or when the timeout passes.
final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var sleeper: CheckedContinuation<Void, Never>?
        /// Which wait a timeout belongs to, so that a late one wakes no later wait.
        var round = 0
    }

    private let state = Mutex(State())

    func signal() {
        let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let sleeper = state.sleeper else {
                state.pending = true
                return nil
            }
            state.sleeper = nil
            return sleeper
        }
        sleeper?.resume()
    }

    /// Waits for a signal, or `timeout`. One waiter at a time.
    func wait(timeout: Duration) async {
        await withCheckedContinuation { continuation in
            let round = state.withLock { state -> Int? in
                if state.pending {
                    state.pending = false
                    return nil
                }
                state.round += 1
                state.sleeper = continuation
                return state.round
            }
            guard let round else { return continuation.resume() }
            Task {
                try? await Task.sleep(for: timeout)
                self.timeOut(round)
            }
        }
    }

    private func timeOut(_ round: Int) {
        let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.round == round, let sleeper = state.sleeper else { return nil }
            state.sleeper = nil
            return sleeper
        }
        sleeper?.resume()
    }
}
