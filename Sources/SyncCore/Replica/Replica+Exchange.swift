import Foundation
import GRDB
import SyncKernel

/// Exchanging record states with other stores: the changes feed (``Feed``), the outbox
/// (``Outbox``), and apply — merge (kernel), plan (``ApplyPlan``), write (one transaction).
extension Replica {
    /// Where a batch came from, which decides how the replica remembers it.
    public enum Source: Sendable, Equatable {
        /// Pulled from an upstream store (the server, or a relay in tests). The pull cursor for
        /// `peer` advances to the batch's cursor in the same transaction that applies it; a
        /// record this replica knows more about than the batch says is queued to be pushed back.
        case upstream(peer: String)
        /// Pushed to this store by a downstream replica. With an acknowledgement, the store
        /// notes in the same transaction that it holds that replica's changes up to the
        /// position: what the replica later compares to tell whether this store lost them.
        case downstream(acknowledging: PushAcknowledgement?)
    }

    /// A downstream replica's log position that a pushed batch reaches.
    public struct PushAcknowledgement: Sendable, Equatable {
        /// The replica that pushed.
        public var replica: ReplicaID
        /// The last log position of the replica included in the batch.
        public var position: Int64

        /// Creates an acknowledgement.
        public init(replica: ReplicaID, position: Int64) {
            self.replica = replica
            self.position = position
        }
    }

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

    /// Runs `body` where the feed is current. A server store has no local edits to fold, so its
    /// feed is read in a read transaction and pulls run next to a push (WAL readers do not wait
    /// for the writer); an office folds its edits first, in a write transaction.
    private func readingFeed<T>(_ body: (Database) throws -> T) throws -> T {
        if kind == .server { return try read(body) }
        return try write { db in
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

    /// ``encodedChanges(since:limit:quartiers:)``, awaited: a server store reads through GRDB's
    /// async access (the read runs on GRDB's reader, the calling task is suspended meanwhile);
    /// an office's replica reads its snapshot synchronously, on the caller's thread.
    public func encodedChanges(since cursor: Int64, limit: Int = 500, quartiers: [String]? = nil) async throws
        -> EncodedBatch
    {
        guard kind == .server else {
            return try readingFeed { db in
                try Feed(db: db).encodedChanges(since: cursor, limit: limit, quartiers: quartiers)
            }
        }
        return try await read { db in
            try Feed(db: db).encodedChanges(since: cursor, limit: limit, quartiers: quartiers)
        }
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
    @discardableResult
    public func apply(_ batch: ChangeBatch, from source: Source) throws -> ApplySummary {
        try write { db in try apply(db, batch, source) }
    }

    /// Merges a batch like the synchronous `apply(_:from:)`, without blocking the caller's thread.
    ///
    /// With `validator` and `scope`, a server checks each pushed state against the rules
    /// every state keeps (`StateValidator`) and what the pushing office may write
    /// (`WriteScope`) in the same transaction that merges the others: a refused state is not
    /// stored and is listed in the summary's `refused`; the others are stored.
    @discardableResult
    public func apply(
        _ batch: ChangeBatch, from source: Source, validator: StateValidator? = nil, scope: WriteScope? = nil
    ) async throws -> ApplySummary {
        try await write { db in try self.apply(db, batch, source, validator: validator, scope: scope) }
    }

    /// Merges and plans the batch (pure), then writes the plan in the caller's transaction.
    func apply(
        _ db: Database, _ batch: ChangeBatch, _ source: Source, validator: StateValidator? = nil,
        scope: WriteScope? = nil
    ) throws -> ApplySummary {
        try fold(db)
        try db.run(sql: "UPDATE _sync_clock SET applying = 1 WHERE id = 1")
        var table = try StateTable(db)
        let keys = batch.records.map(\.key) + batch.evictions.map(\.key)
        let states = try table.load(keys)
        let formerRoutes = scope == nil ? [:] : try table.formerRoutes(of: batch.records.map(\.key))
        var handingOver = Set<RecordKey>()
        if kind == .office, !batch.evictions.isEmpty {
            for row in try db.rows(sql: "SELECT tbl, id FROM _sync_leaving") {
                if let table = SyncTable(rawValue: row[0]) { handingOver.insert(RecordKey(table, row[1])) }
            }
        }
        // An office checks what it pulls against the rules its server keeps: a state that
        // breaks one (a broken or hostile server, or a store from before a rule) is skipped
        // alone and reported; the page's other states are applied and the cursor moves on.
        var validator = validator
        if kind == .office, case .upstream = source, validator == nil {
            validator = .pulled(now: Int64(Date().timeIntervalSince1970 * 1000))
        }
        let plan = ApplyPlan(
            batch: batch, states: states, source: source, kind: kind, validator: validator, scope: scope,
            storedRoutes: formerRoutes, handingOver: handingOver, ownReplica: kind == .office ? id : nil)
        try table.save(plan.changed)
        try table.remember(formerRoutes: plan.formerRoutes)
        if kind == .office {
            var visibleRows = VisibleRows(db: db)
            try visibleRows.write(plan.changed)
            try evict(db, plan.leaving)
            if case .upstream = source {
                try holdMovedOn(db, plan.movedOn, after: batch.cursor, pulled: batch.records.map(\.key))
            }
        }
        try table.finish()
        // A server names its offices' replicas from its registry (the push's own list is
        // replaced before it gets here); an office takes its server's names.
        let authoritative: Bool
        switch source {
        case .upstream: authoritative = true
        case .downstream: authoritative = kind == .server
        }
        try OfficeDirectory(db: db).remember(batch.offices, authoritative: authoritative)
        let peers = Peers(db: db)
        switch source {
        case .downstream(let acknowledgement?): try peers.acknowledge(acknowledgement)
        case .upstream(let peer): try peers.advance(peer, to: batch.cursor)
        case .downstream(nil): break
        }
        try Outbox(db: db).relay(plan.relayed)
        if case .upstream = source { try forgetSettledRefusals(db, batch, states) }
        // The clock moves past what arrived, but never further ahead of this computer's clock
        // than the bound every store keeps (a state from a laptop whose clock is set years
        // ahead must not drag everybody's clock along); a clock already dragged there is
        // set back to now (it only orders concurrent values for display, never causality).
        let ahead = "\(ReplicaSchema.nowMilliseconds) + \(HybridTimestamp.maxSkewMilliseconds)"
        try db.run(
            sql: """
                UPDATE _sync_clock SET
                    hlc_logical = CASE WHEN ?1 > hlc_ms OR (?1 = hlc_ms AND ?2 > hlc_logical) THEN ?2 ELSE hlc_logical END,
                    hlc_ms = max(hlc_ms, ?1)
                WHERE id = 1 AND ?1 <= \(ahead)
                """, arguments: [plan.latest.milliseconds, plan.latest.logical])
        try db.run(
            sql: """
                UPDATE _sync_clock SET applying = 0,
                    hlc_ms = CASE WHEN hlc_ms > \(ahead) OR hlc_logical >= \(HybridTimestamp.maxLogical)
                        THEN \(ReplicaSchema.nowMilliseconds) ELSE hlc_ms END,
                    hlc_logical = CASE WHEN hlc_ms > \(ahead) OR hlc_logical >= \(HybridTimestamp.maxLogical)
                        THEN 0 ELSE hlc_logical END
                WHERE id = 1
                """)
        return plan.summary
    }

    /// The pull cursor for `peer`: 0 before the first pull.
    public func cursor(for peer: String) throws -> Int64 {
        try read { db in try Peers(db: db).cursor(for: peer) }
    }
}
