import Foundation
import Logging
import SyncCore
import SyncKernel
import SyncProtocol
import SyncStore

/// The sync of a replica with its upstream: recovery, scope, push pages, pull pages,
/// push-backs and refusals — the one sync every path runs.
///
/// `syncctl sync` runs it over HTTP (``RemoteSync`` with a ``SyncClient``); the in-process
/// tests run it on a server store in the same process (`InProcessUpstream`). Resumable by
/// construction: the replica acknowledges a pushed page only after upstream stored it, and
/// advances its pull cursor in the transaction that applies a page. A sync stopped at any
/// point continues where it stopped; nothing is lost or applied twice.
public struct Synchronizer: Sendable {
    /// States per page.
    public var batchSize: Int

    /// Creates a sync with pages of `batchSize` states.
    public init(batchSize: Int = 500) { self.batchSize = batchSize }

    /// Syncs `replica` with `upstream`: what upstream lost is repaired, pending changes are
    /// pushed, records outside the office's Quartiere leave, and every page after the
    /// replica's cursor is pulled.
    public func sync(
        _ replica: Replica, with upstream: some Upstream, logger: Logger = Logger(label: "quartiersync.sync"),
        progress: (@Sendable (SyncProgress) -> Void)? = nil
    ) async throws -> SyncSummary {
        var summary = SyncSummary()
        try await sync(replica, with: upstream, into: &summary, logger: logger, progress: progress)
        return summary
    }

    /// As ``sync(_:with:logger:progress:)``, counting into `summary`, which holds what was
    /// done when an error ends the sync.
    func sync(
        _ replica: Replica, with upstream: some Upstream, into summary: inout SyncSummary, logger: Logger,
        progress: (@Sendable (SyncProgress) -> Void)?
    ) async throws {
        // A sync killed after it applied an erasure left the erased values in the WAL.
        try await replica.scrubIfMarked()
        let session = try await upstream.session(replica: replica.id)
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
            epoch = try await upstream.reportRecovery()
        }
        try replica.setRecoveryEpoch(epoch, for: peer)
        if summary.recovery != .none {
            logger.notice(
                "the server lacks changes this replica holds or has seen; repairing",
                metadata: ["recovery": "\(summary.recovery)"])
        }
        // Records the server refused for carrying another office's change it lacks go again:
        // that office may have sent it since.
        try replica.resendAwaitingOtherOffices()
        let scope = session.quartiers
        let scopeChanged = try replica.adopt(scope: scope, for: peer)
        var head = session.head
        // Erasure orders first: an office back after weeks offline carries them out before it
        // sends its edits, so an edit of an erased person is never sent (nor kept here).
        // Records this office keeps outside its Quartiere (to hand over, or refused) hear of
        // their erasure too: the feed no longer brings them anything.
        // (A server from before erasure orders says nothing of them and has no such route.)
        let outside = session.erasures == nil ? [] : try replica.keptOutside(scope: session.quartiers)
        if (session.erasures ?? 0) > 0 || !outside.isEmpty {
            var orders = try await upstream.erasures(everywhere: !outside.isEmpty)
            orders.records.removeAll {
                !Quartier.scope(session.quartiers, covers: $0.route) && !outside.contains($0.key)
            }
            if !orders.records.isEmpty {
                let applied = try await replica.apply(orders, from: .upstream(peer: peer))
                summary.erased += applied.erased.count
                try replica.letGoOfErased(outside)
            }
        }
        // The server's acknowledgement of this replica is brought up to its position even when
        // nothing is left to push: after a restore, the server takes this office's changes the
        // restore lost back from the offices that pulled them only up to that position.
        try await pushPending(
            replica, upstream, &summary, &head, progress, serverAcknowledged: session.acknowledged)
        // Records this office created for, or moved to, a Quartier it does not serve leave it
        // once an office there holds them (the server says how far each Quartier's offices
        // hold its feed); after a change of scope, every record outside it does.
        func handover() -> Replica.Handover? {
            session.delivered.map { Replica.Handover(head: head, delivered: $0) }
        }
        summary.evicted += try replica.evictOutside(scope: scope, everything: scopeChanged, handover: handover())
        if scopeChanged { try replica.confirm(scope: scope, for: peer) }
        for _ in 0..<3 {
            let applied = try await pullAll(replica, upstream, peer, &summary, progress)
            // States pulled that this replica knew better are pushed back at once; a record
            // that could not leave yet for that reason leaves on the next pull.
            try await pushPending(replica, upstream, &summary, &head, progress)
            summary.evicted += try replica.evictOutside(scope: scope, handover: handover())
            if applied.pushedBack == 0 { break }
        }
        // Records let go of (or erased) in this sync leave no copy in the WAL.
        try await replica.scrubIfMarked()
    }

    /// Pulls every page after the replica's cursor for `peer`.
    private func pullAll(
        _ replica: Replica, _ upstream: some Upstream, _ peer: String, _ summary: inout SyncSummary,
        _ progress: (@Sendable (SyncProgress) -> Void)?
    ) async throws -> ApplySummary {
        var total = ApplySummary()
        var since = try replica.cursor(for: peer)
        var page = try await upstream.pull(since: since, limit: batchSize)
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
            async let next = Self.page(after: current, from: upstream, limit: batchSize)
            let applied = try await replica.apply(current, from: .upstream(peer: peer))
            total.add(applied)
            summary.skipped += applied.refused
            summary.received += applied.received - applied.alreadyKnown - applied.refused.count
            summary.alreadyHeld += applied.alreadyKnown
            summary.merged += applied.merged + applied.conflicted
            summary.conflicts += applied.withOpenConflicts
            summary.evicted += applied.evicted
            summary.erased += applied.erased.count
            progress?(SyncProgress(phase: "pull", sent: summary.sent, received: summary.received, pendingLeft: nil))
            guard let following = try await next else { return total }
            page = following
        }
    }

    /// The page after `page`, or nil when it was the last.
    private static func page(after page: ChangeBatch, from upstream: some Upstream, limit: Int) async throws
        -> ChangeBatch?
    {
        guard page.hasMore else { return nil }
        return try await upstream.pull(since: page.cursor, limit: limit)
    }

    /// Pushes every pending change page by page; each page is acknowledged once stored, and
    /// each state upstream refused stays here, marked.
    private func pushPending(
        _ replica: Replica, _ upstream: some Upstream, _ summary: inout SyncSummary, _ head: inout Int64,
        _ progress: (@Sendable (SyncProgress) -> Void)?, serverAcknowledged: Int64? = nil
    ) async throws {
        var acknowledged = min(try replica.pushedPosition(), serverAcknowledged ?? .max)
        while true {
            let batch = try replica.outgoing(limit: batchSize)
            // A page that moves the position is pushed even without states, so that the
            // server's acknowledgement keeps up with this replica's (see Replica.recover).
            var refused: [Replica.RefusedWrite] = []
            if !batch.records.isEmpty || batch.cursor > acknowledged {
                let receipt = try await upstream.push(batch, key: UUID().uuidString.lowercased(), replica: replica.id)
                summary.sent += batch.records.count
                head = max(head, receipt.head ?? head)
                refused = (receipt.refused ?? []).map {
                    Replica.RefusedWrite(table: $0.table, id: $0.id, code: $0.code, message: $0.message)
                }
            }
            summary.refused += try replica.acknowledge(
                upTo: batch.cursor, pushed: batch.records.map(\.key), refused: refused)
            acknowledged = max(acknowledged, batch.cursor)
            if !batch.records.isEmpty {
                progress?(
                    SyncProgress(
                        phase: "push", sent: summary.sent, received: 0, pendingLeft: try replica.pendingChanges()))
            }
            if !batch.hasMore { return }
        }
    }
}
