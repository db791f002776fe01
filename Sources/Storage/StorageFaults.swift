import Foundation
import GRDB
import KoblingCore
import Synchronization

extension StorageFault {
    /// The fault an SQLite error is, if it is one of storage rather than of the statement.
    init?(_ error: DatabaseError) {
        switch error.resultCode {
        case .SQLITE_FULL: self = .full
        case .SQLITE_READONLY: self = .readOnly
        case .SQLITE_IOERR, .SQLITE_CANTOPEN: self = .failing
        default: return nil
        }
    }

    /// The fault a failed file write is (the delivery journal's), if it is one of storage.
    init?(errno code: Int32) {
        switch code {
        case ENOSPC, EDQUOT: self = .full
        case EROFS: self = .readOnly
        case EIO: self = .failing
        default: return nil
        }
    }

    /// The fault any error is, if it is one of storage.
    public init?(of error: any Error) {
        if case .storage(let fault, _) = error as? KoblingError {
            self = fault
        } else if let error = error as? DatabaseError, let fault = StorageFault(error) {
            self = fault
        } else if let error = error as? DeliveryJournal.Failure, let fault = StorageFault(errno: error.code) {
            self = fault
        } else if let error = error as? POSIXError, let fault = StorageFault(errno: error.code.rawValue) {
            self = fault
        } else if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? POSIXError,
                  let fault = StorageFault(errno: underlying.code.rawValue) {
            self = fault
        } else {
            return nil
        }
    }

    /// How long a client should wait before trying again: an operator has to act.
    static let retryAfterSeconds = 30
}

/// How many writes failed for each storage fault since the database opened, for `/metrics`.
final class StorageFaultCounts: Sendable {
    private let counts = Mutex<[StorageFault: Int]>([:])

    var current: [StorageFault: Int] { counts.withLock { $0 } }

    /// Runs `body`; a storage fault it throws is counted and thrown as `KoblingError.storage`.
    func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as KoblingError {
            // Counted where it was first translated, or not a storage fault at all.
            throw error
        } catch {
            guard let fault = StorageFault(of: error) else { throw error }
            counts.withLock { $0[fault, default: 0] += 1 }
            throw KoblingError.storage(fault, retryAfterSeconds: StorageFault.retryAfterSeconds)
        }
    }
}
