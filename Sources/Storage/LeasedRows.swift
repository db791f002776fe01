import GRDB
import KoblingCore

/// A table of background work whose rows workers claim with leases (`LeaseTerms`): the outbox
/// and the job runner's jobs. A claimed row names its holder (`claimedBy`), when it was
/// claimed (`claimedAt`) and until when the claim holds (`leaseUntil`); settling or handing the
/// row back clears all three. The statements are plain SQL that any store can run.
struct LeasedRows: Sendable {
    let table: String
    /// The status of a claimed row, and of a row waiting in the queue.
    let claimed: String
    let queued: String

    static let outbox = LeasedRows(table: "outbox", claimed: "sending", queued: "queued")
    static let jobs = LeasedRows(table: "job", claimed: "running", queued: "queued")

    /// The SET clause of a claim; its arguments are the holder, now, and the claim's expiry.
    var claim: String { "status = '\(claimed)', claimedBy = ?, claimedAt = ?, leaseUntil = ?" }

    /// The SET clause that ends a claim, with whatever else the row's outcome sets.
    static let release = "claimedBy = NULL, claimedAt = NULL, leaseUntil = NULL"

    /// Extends every claim `holder` has until `until`; answers how many rows it holds.
    @discardableResult
    func renew(_ holder: LeaseHolder, until: String, _ db: Database) throws -> Int {
        try db.cachedStatement(sql: "UPDATE \(table) SET leaseUntil = ? WHERE status = '\(claimed)' AND claimedBy = ?")
            .execute(arguments: [until, holder.id])
        return db.changesCount
    }

    /// Hands back to the queue every row whose claim lapsed before `now`, noting why in
    /// `lastError`; answers how many.
    func reclaimLapsed(now: String, _ db: Database) throws -> Int {
        try db.cachedStatement(sql: """
            UPDATE \(table) SET status = '\(queued)', \(Self.release), updatedAt = ?1,
              lastError = 'its claim lapsed before an outcome was recorded; queued again'
            WHERE status = '\(claimed)' AND leaseUntil < ?1
            """).execute(arguments: [now])
        return db.changesCount
    }
}
