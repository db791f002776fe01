import Foundation
import HummingbirdBcrypt
import KoblingCore

/// bcrypt, run on threads of its own: a hash takes about a quarter of a second at cost 12, which
/// on a cooperative thread would hold up every request scheduled behind it.
public struct PasswordHasher: Sendable {
    public let cost: UInt8
    private let work: WorkerPool

    /// Hashes on `work`, or on a pool of its own (a thread a core) when none is given.
    public init(cost: UInt8, work: WorkerPool? = nil) {
        self.cost = cost
        self.work = work ?? WorkerPool(name: "kobling.bcrypt", limits: .init(threads: ProcessInfo.processInfo.activeProcessorCount))
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await work.run { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await work.run { Bcrypt.verify(password, hash: hash) }
    }
}
