import Foundation
import Synchronization

/// A program a test runs (a test server, openssl, a `kobling` command), started and awaited so
/// that tests running side by side cannot hold each other up.
///
/// Foundation learns that a child ended when a socket the child inherited closes, and a child
/// closes only the descriptors that were open when it was prepared: two children started at the
/// same moment from two threads can each inherit the other's socket (or the other's output pipe),
/// and then neither is seen to end until both have, which `waitUntilExit` in two tests waits for
/// forever. Here every start goes through one lock, pipes included, and the end is awaited through
/// the termination handler with a limit, never by spinning a run loop.
final class ChildProcess: @unchecked Sendable {
    /// Held while a child is prepared and started, so that none inherits another's descriptors.
    private static let starting = Mutex(())

    private let process: Process
    private let ending = Ending()
    private let output: Pipe?
    /// The child's process id, for signals.
    let pid: Int32

    /// Where a child's standard error goes.
    enum Errors { case inherited, discarded, withOutput }

    /// Starts `executable`; its standard output is kept for `readOutput` when `captureOutput`,
    /// else discarded; `input` is written to its standard input, which is then closed.
    init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
         captureOutput: Bool = false, errors: Errors = .inherited, input: Data? = nil) throws {
        let process = Process()
        self.process = process
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let ending = self.ending
        process.terminationHandler = { _ in ending.happened() }
        var output: Pipe?
        var inputPipe: Pipe?
        try Self.starting.withLock { _ in
            // The pipes too: a child being started while they were made could keep one open.
            output = captureOutput ? Pipe() : nil
            inputPipe = input == nil ? nil : Pipe()
            process.standardOutput = output ?? FileHandle.nullDevice
            switch errors {
            case .inherited: break
            case .discarded: process.standardError = FileHandle.nullDevice
            case .withOutput: process.standardError = output ?? FileHandle.nullDevice
            }
            process.standardInput = inputPipe ?? FileHandle.nullDevice
            try process.run()
        }
        self.output = output
        pid = process.processIdentifier
        if let inputPipe, let input {
            inputPipe.fileHandleForWriting.write(input)
            try inputPipe.fileHandleForWriting.close()
        }
    }

    var isRunning: Bool { !ending.hasHappened }

    /// Waits until the child ends, at most `timeout`; answers whether it did.
    @discardableResult
    func wait(timeout: Double) -> Bool {
        ending.wait(timeout: timeout)
    }

    /// The exit status, once the child has ended.
    var status: Int32 { process.terminationStatus }

    /// Everything the child wrote to its captured output, until it closed it.
    func readOutput() -> Data {
        output?.fileHandleForReading.readDataToEndOfFile() ?? Data()
    }

    /// Stops the child with SIGTERM, and SIGKILL when it has not ended within `grace` seconds
    /// (a server that hangs does not stop on SIGTERM).
    func stop(grace: Double = 5) {
        guard isRunning else { return }
        Glibc.kill(pid, SIGTERM)
        if !wait(timeout: grace) { kill() }
    }

    /// Kills the child at once.
    func kill() {
        guard isRunning else { return }
        Glibc.kill(pid, SIGKILL)
        wait(timeout: 30)
    }

    /// Runs `executable` to its end, at most `timeout` seconds (then it is killed and this
    /// throws); answers its exit status and what it printed.
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                    input: Data? = nil, errors: Errors = .inherited, timeout: Double = 300) throws -> (status: Int32, output: Data) {
        let child = try ChildProcess(executable, arguments, environment: environment, captureOutput: true,
                                     errors: errors, input: input)
        let output = child.readOutput()
        guard child.wait(timeout: timeout) else {
            child.kill()
            throw TestServerError("\(executable.lastPathComponent) did not end within \(Int(timeout)) s")
        }
        return (child.status, output)
    }
}

/// The end of a child, told by its termination handler.
private final class Ending: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let ended = Mutex(false)

    func happened() {
        ended.withLock { $0 = true }
        semaphore.signal()
    }

    var hasHappened: Bool { ended.withLock { $0 } }

    func wait(timeout: Double) -> Bool {
        guard !hasHappened else { return true }
        guard semaphore.wait(timeout: .now() + timeout) == .success else { return false }
        semaphore.signal()  // for the next caller
        return true
    }
}
