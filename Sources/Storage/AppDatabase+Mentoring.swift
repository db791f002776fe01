import GRDB
import KoblingCore

/// Startups' mentoring requests, kept as pitches of kind `mentoring` (see `MentoringRequest`).
/// Members see open and matched requests and their own in any status; organisers see all.
extension AppDatabase {
    public func createMentoringRequest(_ body: JSONValue, requesterId: String) async throws -> MentoringRequest {
        let now = self.now
        let blank = MentoringChanges.blank(id: ids.next("mnt"), requesterId: requesterId, now: now)
        let pitch = try MentoringChanges.apply(body, to: blank, creating: true, now: now)
        return try await write { db in
            try self.insertPitch(pitch, db)
            return MentoringRequest(pitch)
        }
    }

    /// Newest first; `status` and `requesterId` narrow the list.
    public func mentoringRequests(
        status: MentoringStatus?, requesterId: String?, viewer: Viewer, page: PageRequest
    ) async throws -> Page<MentoringRequest> {
        var query = ListQuery()
        Self.mentoringVisible(to: viewer, &query)
        if let status { query.require("x.status = ?", status.pitchStatus.rawValue) }
        if let requesterId { query.require("x.authorId = ?", requesterId) }
        if let after = page.after, after.count == 2 { query.require("(x.createdAt, x.id) < (?, ?)", after[0], after[1]) }
        let sql = "SELECT x.* FROM pitch x \(query.filterClause) ORDER BY x.createdAt DESC, x.id DESC LIMIT \(page.limit + 1)"
        let arguments = query.arguments
        let records = try await read { db in try PitchRecord.fetchAll(db, sql: sql, arguments: arguments) }
        let shown = records.prefix(page.limit)
        let next = records.count > page.limit ? shown.last.map { Cursor.encode([$0.createdAt, $0.id]) } : nil
        return Page(items: try shown.map { MentoringRequest(try $0.pitch()) }, nextCursor: next)
    }

    public func mentoringRequest(id: String, viewer: Viewer) async throws -> MentoringRequest {
        var query = ListQuery()
        query.require("x.id = ?", id)
        Self.mentoringVisible(to: viewer, &query)
        let (sql, arguments) = ("SELECT x.* FROM pitch x \(query.filterClause)", query.arguments)
        let record = try await read { db in try PitchRecord.fetchOne(db, sql: sql, arguments: arguments) }
        guard let record else { throw KoblingError.notFound("No such mentoring request.") }
        return MentoringRequest(try record.pitch())
    }

    public func updateMentoringRequest(id: String, expectedVersion: Int?, body: JSONValue) async throws -> MentoringRequest {
        let now = self.now
        return MentoringRequest(try await changePitch(id: id, kind: .mentoring, expectedVersion: expectedVersion) { current in
            try MentoringChanges.apply(body, to: current, creating: false, now: now)
        })
    }

    public func act(onMentoringRequest id: String, _ action: MentoringAction, expectedVersion: Int?) async throws -> MentoringRequest {
        let now = self.now
        return MentoringRequest(try await changePitch(id: id, kind: .mentoring, expectedVersion: expectedVersion) { current in
            try MentoringChanges.applying(action, to: current, now: now)
        })
    }

    /// What a viewer may see of the mentoring requests under `x`.
    private static func mentoringVisible(to viewer: Viewer, _ query: inout ListQuery) {
        query.require("x.kind = ?", RoundKind.mentoring.rawValue)
        switch viewer {
        case .organiser: break
        case .anonymous: query.require("0 = 1")
        case .member(let accountId):
            query.require("(x.status IN ('approved', 'matched') OR EXISTS (SELECT 1 FROM person o WHERE o.id = x.authorId AND o.accountId = ?))", accountId)
        }
    }
}
