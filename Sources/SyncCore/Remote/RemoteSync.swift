import Foundation
import Logging

/// A whole sync of a replica with its server: push pending changes, then pull, in pages.
///
/// Resumable by construction: the replica acknowledges a pushed page only after the server
/// stored it, and advances its pull cursor in the transaction that applies a page. A sync
/// killed at any point continues where it stopped; nothing is lost or applied twice.
public struct RemoteSync: Sendable {
    /// States per request.
    public var batchSize: Int
    /// Seconds before one request gives up.
    public var timeout: TimeInterval

    /// Where a running sync is, for progress displays.
    public struct Progress: Sendable {
        /// `push` or `pull`.
        public var phase: String
        /// States sent so far.
        public var sent: Int
        /// States received so far.
        public var received: Int
        /// Pending local changes left to push, when known.
        public var pendingLeft: Int?
    }

    /// What a finished sync did.
    public struct Summary: Sendable, Equatable {
        /// States pushed.
        public var sent = 0
        /// States pulled.
        public var received = 0
        /// Pulled states merged with concurrent local edits.
        public var merged = 0
        /// Pulled records that now carry an open conflict.
        public var conflicts = 0
        /// Wall time in milliseconds.
        public var durationMs = 0
        /// Request body bytes sent (compressed).
        public var bytesSent = 0
        /// Response body bytes received, as they crossed the network.
        public var bytesReceived = 0
    }

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
            do {
                guard let remote = try replica.remote() else {
                    throw SyncError(
                        .notConfigured,
                        "this replica has no server: run 'syncctl remote set --server URL --token TOKEN' first")
                }
                let client = SyncClient(remote: remote, timeout: timeout)
                try await exchange(replica, client, &summary, logger, progress)
                summary.bytesSent = client.transfer.bytesSent
                summary.bytesReceived = client.transfer.bytesReceived
                summary.durationMs = Int(Date().timeIntervalSince(started) * 1000)
                try replica.recordSyncRun(
                    run(started, summary, result: "ok", error: nil), finishedAt: Self.timestamp(Date()))
                logger.info("sync finished", metadata: ["sent": "\(summary.sent)", "received": "\(summary.received)"])
                return summary
            } catch let error as SyncError {
                summary.durationMs = Int(Date().timeIntervalSince(started) * 1000)
                try? replica.recordSyncRun(
                    run(started, summary, result: error.code.name, error: error.message),
                    finishedAt: Self.timestamp(Date()))
                throw error
            }
        }
    }

    private func exchange(
        _ replica: Replica, _ client: SyncClient, _ summary: inout Summary, _ logger: Logger,
        _ progress: (@Sendable (Progress) -> Void)?
    ) async throws {
        let health = try await client.health()
        guard health.protocolVersion == SyncClient.protocolVersion else {
            throw SyncError(
                .serverError,
                "the server speaks protocol \(health.protocolVersion), this syncctl speaks \(SyncClient.protocolVersion): update the older one"
            )
        }
        try await pushPending(replica, client, &summary, progress)
        let peer = health.storeId
        var page = try await client.pull(since: try replica.cursor(for: peer), limit: batchSize)
        while true {
            // The next page is on its way while this one is applied. It is only a read: the
            // pull cursor still moves in the transaction that applies a page, so a sync that
            // stops here resumes after the last page applied.
            let next: Task<ChangeBatch, any Error>? =
                page.hasMore
                ? Task { [client, batchSize, cursor = page.cursor] in
                    try await client.pull(since: cursor, limit: batchSize)
                } : nil
            let applied: ApplySummary
            do {
                applied = try await Self.offThePool { [page] in try replica.apply(page, from: .upstream(peer: peer)) }
            } catch {
                next?.cancel()
                throw error
            }
            summary.received += applied.received
            summary.merged += applied.merged + applied.conflicted
            summary.conflicts += applied.withOpenConflicts
            progress?(Progress(phase: "pull", sent: summary.sent, received: summary.received, pendingLeft: nil))
            guard let next else { break }
            page = try await next.value
        }
        // States pulled that this replica knew better are pushed back at once.
        try await pushPending(replica, client, &summary, progress)
    }

    /// Runs blocking SQLite work on a thread of its own, so that Swift concurrency's threads
    /// (one per core) stay free for the next page, which is received and decoded meanwhile.
    private static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            applyQueue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    private static let applyQueue = DispatchQueue(label: "quartiersync.apply")

    /// Pushes every pending change page by page; each page is acknowledged once stored.
    private func pushPending(
        _ replica: Replica, _ client: SyncClient, _ summary: inout Summary,
        _ progress: (@Sendable (Progress) -> Void)?
    ) async throws {
        while true {
            let batch = try replica.outgoing(limit: batchSize)
            if !batch.records.isEmpty {
                _ = try await client.push(batch, key: UUID().uuidString.lowercased())
                summary.sent += batch.records.count
            }
            try replica.acknowledge(upTo: batch.cursor)
            if !batch.records.isEmpty {
                progress?(
                    Progress(
                        phase: "push", sent: summary.sent, received: 0, pendingLeft: try replica.pendingChanges()
                    ))
            }
            if !batch.hasMore { return }
        }
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
