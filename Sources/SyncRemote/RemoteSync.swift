import Foundation
import Logging
import SyncCore
import SyncKernel
import SyncProtocol

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
        /// Records that left this office's scope and were removed here.
        public var evicted = 0
        /// What the sync did because the server had lost data (restored from a backup, or a
        /// new store): see ``Replica/Recovery``.
        public var recovery = Replica.Recovery.none
        /// Local changes the server refused in this sync: records of Quartiere this office
        /// does not serve. They stay here, marked (``Replica/refusedWrites()``).
        public var refused: [Replica.RefusedWrite] = []
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
        let session = try await client.session(replica: replica.id)
        let peer = session.storeId
        // Anti-entropy: a server that lost changes (restored, or new) gets them back, and the
        // pull starts again where the server's feed now is.
        let knownEpoch = try replica.recoveryEpoch(for: peer)
        let otherOfficeRecovered = knownEpoch.map { $0 != session.epoch } ?? false
        summary.recovery = try replica.recover(
            from: session.serverKnowledge, peer: peer, force: otherOfficeRecovered)
        var epoch = session.epoch
        if summary.recovery == .resend && !otherOfficeRecovered {
            // The first office to notice tells the server, so that every office sends again
            // what it holds: some may hold what this one does not (or where a record was).
            epoch = try await client.reportRecovery()
        }
        try replica.setRecoveryEpoch(epoch, for: peer)
        if summary.recovery != .none {
            logger.notice(
                "the server lacks changes this replica holds or has seen; repairing",
                metadata: ["recovery": "\(summary.recovery)"])
        }
        let scope = session.quartiers
        let scopeChanged = try replica.adopt(scope: scope, for: peer)
        try await pushPending(replica, client, &summary, progress)
        // Records this office created for, or moved to, a Quartier it does not serve leave it
        // once the server holds them; after a change of scope, every record outside it does.
        summary.evicted += try replica.evictOutside(scope: scope, everything: scopeChanged)
        if scopeChanged { try replica.confirm(scope: scope, for: peer) }
        for _ in 0..<3 {
            let applied = try await pullAll(replica, client, peer, &summary, progress)
            // States pulled that this replica knew better are pushed back at once; a record
            // that could not leave yet for that reason leaves on the next pull.
            try await pushPending(replica, client, &summary, progress)
            summary.evicted += try replica.evictOutside(scope: scope)
            if applied.pushedBack == 0 { break }
        }
    }

    /// Pulls every page after the replica's cursor for `peer`.
    private func pullAll(
        _ replica: Replica, _ client: SyncClient, _ peer: String, _ summary: inout Summary,
        _ progress: (@Sendable (Progress) -> Void)?
    ) async throws -> ApplySummary {
        var total = ApplySummary()
        var since = try replica.cursor(for: peer)
        var page = try await client.pull(since: since, limit: batchSize)
        while true {
            // A server that says "more" without moving on (broken, or hostile) would hold the
            // sync for ever.
            if page.hasMore && page.cursor <= since {
                throw SyncError(
                    .serverError,
                    "the server's feed does not move on (it says more changes follow position \(since) but sent none "
                        + "after it): report this to the server admin; local edits stay pending")
            }
            since = page.cursor
            // The next page is on its way while this one is applied (GRDB's async write keeps
            // Swift concurrency's threads free for it). It is only a read: the pull cursor
            // still moves in the transaction that applies a page, so a sync that stops here
            // resumes after the last page applied. If applying fails, the fetch is cancelled.
            let current = page
            async let next = Self.page(after: current, from: client, limit: batchSize)
            let applied = try await replica.apply(current, from: .upstream(peer: peer))
            total.add(applied)
            summary.received += applied.received
            summary.merged += applied.merged + applied.conflicted
            summary.conflicts += applied.withOpenConflicts
            summary.evicted += applied.evicted
            progress?(Progress(phase: "pull", sent: summary.sent, received: summary.received, pendingLeft: nil))
            guard let following = try await next else { return total }
            page = following
        }
    }

    /// The page after `page`, or nil when it was the last.
    private static func page(after page: ChangeBatch, from client: SyncClient, limit: Int) async throws
        -> ChangeBatch?
    {
        guard page.hasMore else { return nil }
        return try await client.pull(since: page.cursor, limit: limit)
    }

    /// Pushes every pending change page by page; each page is acknowledged once stored.
    private func pushPending(
        _ replica: Replica, _ client: SyncClient, _ summary: inout Summary,
        _ progress: (@Sendable (Progress) -> Void)?
    ) async throws {
        var acknowledged = try replica.pushedPosition()
        while true {
            let batch = try replica.outgoing(limit: batchSize)
            // A page that moves the position is pushed even without states, so that the
            // server's acknowledgement keeps up with this replica's (see Replica.recover).
            var refused: [Replica.RefusedWrite] = []
            if !batch.records.isEmpty || batch.cursor > acknowledged {
                let receipt = try await client.push(batch, key: UUID().uuidString.lowercased(), replica: replica.id)
                summary.sent += batch.records.count
                refused = (receipt.refused ?? []).map {
                    Replica.RefusedWrite(table: $0.table, id: $0.id, code: $0.code, message: $0.message)
                }
            }
            summary.refused += try replica.acknowledge(
                upTo: batch.cursor, pushed: batch.records.map(\.key), refused: refused)
            acknowledged = max(acknowledged, batch.cursor)
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
