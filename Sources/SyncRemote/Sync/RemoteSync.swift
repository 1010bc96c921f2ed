import Foundation
import Logging
import SyncCore
import SyncKernel
import SyncProtocol

/// `syncctl sync`: the ``Synchronizer`` of a replica with its configured server over HTTP,
/// under the replica's sync lock, recorded in its history (`syncctl log`).
public struct RemoteSync: Sendable {
    /// States per request.
    public var batchSize: Int
    /// Seconds before one request gives up.
    public var timeout: TimeInterval

    /// Where a running sync is (``SyncProgress``).
    public typealias Progress = SyncProgress
    /// What a finished sync did (``SyncSummary``).
    public typealias Summary = SyncSummary

    /// Creates a sync.
    public init(batchSize: Int = 500, timeout: TimeInterval = 60) {
        self.batchSize = batchSize
        self.timeout = timeout
    }

    /// Syncs `replica` with its configured server, holding the replica's sync lock, and
    /// records the outcome in its history (`syncctl log`).
    public func run(
        _ replica: Replica, logger: Logger = Logger(label: "quartiersync.sync"),
        progress: (@Sendable (Progress) -> Void)? = nil
    ) async throws -> Summary {
        try await replica.withSyncLock {
            let started = Date()
            var summary = Summary()
            let entry = try replica.beginSyncRun(startedAt: Self.timestamp(started))
            do {
                guard let remote = try replica.remote() else {
                    throw SyncError(
                        .notConfigured,
                        "this replica has no server")
                }
                let client = try SyncClient(remote: remote, timeout: timeout)
                try await exchange(replica, client, &summary, logger, progress)
                summary.bytesSent = client.transfer.bytesSent
                summary.bytesReceived = client.transfer.bytesReceived
                summary.durationMs = Int(Date().timeIntervalSince(started) * 1000)
                try replica.recordSyncRun(
                    run(started, summary, result: "ok", error: nil), finishedAt: Self.timestamp(Date()), entry: entry)
                logger.info("sync finished", metadata: ["sent": "\(summary.sent)", "received": "\(summary.received)"])
                if !summary.skipped.isEmpty {
                    logger.warning(
                        "the server sent states that break a rule; they were not applied: tell the server admin",
                        metadata: ["skipped": "\(summary.skipped.count)"])
                }
                return summary
            } catch let error as SyncError {
                summary.durationMs = Int(Date().timeIntervalSince(started) * 1000)
                try? replica.recordSyncRun(
                    run(started, summary, result: error.code.name, error: error.message),
                    finishedAt: Self.timestamp(Date()), entry: entry)
                throw error
            }
        }
    }

    private func exchange(
        _ replica: Replica, _ client: SyncClient, _ summary: inout Summary, _ logger: Logger,
        _ progress: (@Sendable (Progress) -> Void)?
    ) async throws {
        let health = try await client.health()
        guard health.protocolVersion == Wire.version else {
            throw SyncError(
                .serverError,
                "the server speaks protocol \(health.protocolVersion), this replica's software speaks \(Wire.version): update the older one"
            )
        }
        try await Synchronizer(batchSize: batchSize).sync(
            replica, with: client, into: &summary, logger: logger, progress: progress)
    }

    private func run(_ started: Date, _ summary: Summary, result: String, error: String?) -> SyncRun {
        SyncRun(
            startedAt: Self.timestamp(started), durationMs: summary.durationMs, result: result, sent: summary.sent,
            received: summary.received, merged: summary.merged, conflicts: summary.conflicts, error: error)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
