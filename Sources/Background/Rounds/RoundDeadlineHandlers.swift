import KoblingCore
import Storage

/// At a published round's deadline: its open proposals expire. Safe twice: an expired proposal
/// stays expired.
public struct RoundDeadlineHandler: JobHandler {
    public let kind = AppDatabase.RoundJobKind.deadline
    let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    public func run(_ job: Job) async throws {
        let payload = try job.decodePayload(AppDatabase.RoundJobPayload.self)
        _ = try await database.expireProposals(roundId: payload.roundId)
    }
}

/// A day before a published round's deadline: one reminder to each person with a proposal left
/// to answer. Safe twice: each reminder has a dedupe key in the outbox.
public struct RoundReminderHandler: JobHandler {
    public let kind = AppDatabase.RoundJobKind.reminder
    let database: AppDatabase
    let compose: DigestComposer
    /// Called once reminders are queued, so that the outbox sends them now.
    let queued: @Sendable () -> Void

    public init(database: AppDatabase, compose: @escaping DigestComposer, queued: @escaping @Sendable () -> Void = {}) {
        self.database = database
        self.compose = compose
        self.queued = queued
    }

    public func run(_ job: Job) async throws {
        let payload = try job.decodePayload(AppDatabase.RoundJobPayload.self)
        if try await database.remindUnanswered(roundId: payload.roundId, compose: compose) > 0 { queued() }
    }
}
