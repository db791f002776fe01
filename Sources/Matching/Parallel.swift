import Dispatch
import Foundation

/// `body` for 0..<count on all cores, each worker with its own state, results in order. Blocks
/// its caller until all are done: for a thread of its own, never one of the cooperative pool.
/// Public for the other pure work that splits this way (writing a run's report in parts).
public func parallelMap<State, T>(_ count: Int, state makeState: () -> State, _ body: (Int, inout State) -> T) -> [T] {
    parallelMapKeepingStates(count, state: makeState, body).results
}

/// `parallelMap`, answering each worker's state at its end too (what the workers gathered).
func parallelMapKeepingStates<State, T>(
    _ count: Int, state makeState: () -> State, _ body: (Int, inout State) -> T
) -> (results: [T], states: [State]) {
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count))
    var results = [T?](repeating: nil, count: count)
    var states = [State?](repeating: nil, count: workers)
    results.withUnsafeMutableBufferPointer { buffer in
        states.withUnsafeMutableBufferPointer { stateBuffer in
            let output = UnsafeSendable((buffer, stateBuffer))
            withoutActuallyEscaping(makeState) { makeState in
                withoutActuallyEscaping(body) { body in
                    let shared = UnsafeSendable((makeState, body))
                    DispatchQueue.concurrentPerform(iterations: workers) { worker in
                        var state = shared.value.0()
                        var index = worker
                        while index < count {
                            output.value.0[index] = shared.value.1(index, &state)
                            index += workers
                        }
                        output.value.1[worker] = state
                    }
                }
            }
        }
    }
    return (results.map { $0! }, states.compactMap { $0 })
}

/// Hands a value to concurrent workers that each touch disjoint parts of it.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
