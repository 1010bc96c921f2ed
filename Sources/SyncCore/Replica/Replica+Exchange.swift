import Foundation
import GRDB
import SyncKernel
import SyncStore

/// Exchanging record states with other stores: the changes feed (`Feed`), the outbox
/// (``Outbox``), and apply — merge (kernel), plan (`ApplyPlan`), write (one transaction).
extension Replica {
    /// Where a batch came from (`StateStore/Source`).
    public typealias Source = StateStore.Source
    /// A downstream replica's log position that a pushed batch reaches.
    public typealias PushAcknowledgement = StateStore.PushAcknowledgement

    /// States changed after `cursor` in this store's own sequence, oldest first, at most `limit`.
    ///
    /// A record appears once, at its latest change, so a reader that starts from 0 gets the
    /// whole store and one that keeps its cursor gets only what changed.
    ///
    /// With `quartiers`, only records routed to those Quartiere and shared records (`*`) are
    /// returned (what an office may see), deletes included; a record that was routed there
    /// before and has moved on comes as an `Eviction` without values. The cursor still moves
    /// past the others.
    public func changes(since cursor: Int64, limit: Int = 500, quartiers: [String]? = nil) throws -> ChangeBatch {
        try readingFeed { db in try Feed(db: db).changes(since: cursor, limit: limit, quartiers: quartiers) }
    }

    /// Runs `body` where the feed is current: local edits are folded first, in a write
    /// transaction.
    private func readingFeed<T>(_ body: (Database) throws -> T) throws -> T {
        try write { db in
            try fold(db)
            return try body(db)
        }
    }

    /// The same page as ``changes(since:limit:quartiers:)`` in its wire form, read without
    /// decoding a single state: what the server sends for a pull.
    public func encodedChanges(since cursor: Int64, limit: Int = 500, quartiers: [String]? = nil) throws
        -> EncodedBatch
    {
        try readingFeed { db in try Feed(db: db).encodedChanges(since: cursor, limit: limit, quartiers: quartiers) }
    }

    /// The next page of local changes not yet acknowledged by upstream, at most `limit` log
    /// entries. Its cursor is the last log position included; pass it to ``acknowledge(upTo:)``
    /// once upstream has stored the page.
    public func outgoing(limit: Int = 500) throws -> ChangeBatch {
        try write { db in
            try fold(db)
            return try Outbox(db: db).page(limit: limit)
        }
    }

    /// The log position up to which upstream acknowledged this replica's changes.
    public func pushedPosition() throws -> Int64 {
        try read { db in try Outbox(db: db).acknowledgedPosition() }
    }

    /// Marks local changes up to log position `position` as stored upstream. Later edits,
    /// including edits of the same records made after the page was read, stay pending.
    public func acknowledge(upTo position: Int64) throws {
        try write { db in try Outbox(db: db).acknowledge(upTo: position) }
    }

    /// Merges a batch of states into this replica, in one transaction: states, visible rows,
    /// conflicts and (for upstream batches) the pull cursor change together or not at all.
    ///
    /// A pulled state is checked against the rules its server keeps: one that breaks a rule (a
    /// broken or hostile server, or a store from before a rule) is skipped alone and reported
    /// in the summary's `refused`; the page's other states are applied and the cursor moves on.
    ///
    /// The write runs through GRDB's async access: the calling task is suspended, not its
    /// thread, so a sync fetches the next page while this one is applied.
    @discardableResult
    public func apply(_ batch: ChangeBatch, from source: Source) async throws -> ApplySummary {
        let summary = try await write { db in try self.apply(db, batch, source) }
        // Erased values left no copy in the states or tables; the WAL still holds the pages
        // they were on until it is emptied.
        if !summary.erased.isEmpty { try await store.scrub() }
        return summary
    }

    /// Folds local edits, then merges the batch in the caller's transaction and shows what
    /// changed in the data tables; lets go of records the batch evicts.
    func apply(_ db: Database, _ batch: ChangeBatch, _ source: Source) throws -> ApplySummary {
        try fold(db)
        var holding = ApplyPlan.Holding(replica: id)
        if !batch.evictions.isEmpty {
            for row in try db.rows(sql: "SELECT tbl, id FROM _sync_leaving") {
                if let table = SyncTable(rawValue: row[0]) { holding.handingOver.insert(RecordKey(table, row[1])) }
            }
        }
        var validator: StateValidator?
        if case .upstream = source { validator = .pulled(now: Int64(Date().timeIntervalSince1970 * 1000)) }
        let (plan, before) = try store.merge(db, batch, source, validator: validator, holding: holding) { plan in
            var visibleRows = VisibleRows(db: db)
            try visibleRows.write(plan.changed)
            try self.evict(db, plan.leaving)
            if case .upstream = source {
                try self.holdMovedOn(db, plan.movedOn, after: batch.cursor, pulled: batch.records.map(\.key))
            }
        }
        try Outbox(db: db).relay(plan.relayed)
        try forgetMarks(db, of: plan.summary.erased)
        if case .upstream = source { try forgetSettledRefusals(db, batch, before) }
        return plan.summary
    }

    /// The pull cursor for `peer`: 0 before the first pull.
    public func cursor(for peer: String) throws -> Int64 {
        try read { db in try Peers(db: db).cursor(for: peer) }
    }
}
