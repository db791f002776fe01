import KoblingCore

/// Runs the jobs of one kind. A run may be cut off at any point (a crash, a lapsed lease) and
/// the job run again, so `run` and `giveUp` must be safe to run twice: they write their outcome
/// with statements that change nothing the second time.
public protocol JobHandler: Sendable {
    /// The kind of job it runs.
    var kind: String { get }
    /// How a run that threw is retried.
    var retry: JobRetry { get }
    /// Does the work. Throwing `PermanentJobFailure` fails the job at once; any other error is
    /// retried after `retry`'s back-off, until its last attempt.
    func run(_ job: Job) async throws
    /// The job will not run again: record why where its users look (a round's run says
    /// "failed" with the reason).
    func giveUp(_ job: Job, reason: String) async throws
}

extension JobHandler {
    public var retry: JobRetry { .standard }
    public func giveUp(_ job: Job, reason: String) async throws {}
}
