import Foundation
import GRDB
import SyncKernel

/// Exchanging record states with other stores: the changes feed (`Feed`) and apply — merge
/// (kernel), plan (`ApplyPlan`), write (one transaction).
extension StateStore {
    /// Where a batch came from, which decides how the store remembers it.
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

    /// States changed after `cursor` in this store's own sequence, oldest first, at most
    /// `limit`, read in a read transaction (WAL readers do not wait for a writer).
    ///
    /// A record appears once, at its latest change, so a reader that starts from 0 gets the
    /// whole store and one that keeps its cursor gets only what changed. With `quartiers`,
    /// only records routed to those Quartiere and shared records (`*`) are returned (what an
    /// office may see), deletes included; a record that was routed there before and has moved
    /// on comes as an `Eviction` without values. The cursor still moves past the others.
    public func changes(since cursor: Int64, limit: Int = 500, quartiers: [String]? = nil) async throws
        -> ChangeBatch
    {
        try await read { db in try Feed(db: db).changes(since: cursor, limit: limit, quartiers: quartiers) }
    }

    /// The same page as ``changes(since:limit:quartiers:)`` in its wire form, read without
    /// decoding a single state: what the server sends for a pull.
    public func encodedChanges(since cursor: Int64, limit: Int = 500, quartiers: [String]? = nil) async throws
        -> EncodedBatch
    {
        try await read { db in
            try Feed(db: db).encodedChanges(since: cursor, limit: limit, quartiers: quartiers)
        }
    }

    /// Merges a batch of states into this store, in one transaction.
    ///
    /// With `validator` and `scope`, a server checks each pushed state against the rules
    /// every state keeps (`StateValidator`) and what the pushing office may write
    /// (`WriteScope`) in the same transaction that merges the others: a refused state is not
    /// stored and is listed in the summary's `refused`; the others are stored.
    @discardableResult
    public func apply(
        _ batch: ChangeBatch, from source: Source, validator: StateValidator? = nil, scope: WriteScope? = nil
    ) async throws -> ApplySummary {
        try await write { db in
            try self.merge(db, batch, source, validator: validator, scope: scope).plan.summary
        }
    }

    /// Merges and plans the batch (pure), then writes the plan in the caller's transaction:
    /// states, former routes, known offices, the peer's position and the clock. With `holding`
    /// (an office's replica), `show` writes what the plan changes into the office's own
    /// tables between the states and the rest. Returns the plan and the states the batch's
    /// records had before it.
    package func merge(
        _ db: Database, _ batch: ChangeBatch, _ source: Source, validator: StateValidator? = nil,
        scope: WriteScope? = nil, holding: ApplyPlan.Holding? = nil, show: ((ApplyPlan) throws -> Void)? = nil
    ) throws -> (plan: ApplyPlan, before: [RecordKey: RecordState]) {
        try db.run(sql: "UPDATE _sync_clock SET applying = 1 WHERE id = 1")
        var table = try StateTable(db)
        let keys = batch.records.map(\.key) + batch.evictions.map(\.key)
        let states = try table.load(keys)
        let formerRoutes = scope == nil ? [:] : try table.formerRoutes(of: batch.records.map(\.key))
        let plan = ApplyPlan(
            batch: batch, states: states, source: source, holding: holding, validator: validator, scope: scope,
            storedRoutes: formerRoutes)
        try table.save(plan.changed)
        if !plan.summary.erased.isEmpty { try Self.markScrub(db) }
        try table.remember(formerRoutes: plan.formerRoutes)
        try show?(plan)
        try table.finish()
        // A store that takes pushes names its offices' replicas from its registry (the push's
        // own list is replaced before it gets here); an office takes its server's names.
        let authoritative: Bool
        switch source {
        case .upstream: authoritative = true
        case .downstream: authoritative = holding == nil
        }
        try OfficeDirectory(db: db).remember(batch.offices, authoritative: authoritative)
        let peers = Peers(db: db)
        switch source {
        case .downstream(let acknowledgement?): try peers.acknowledge(acknowledgement)
        case .upstream(let peer): try peers.advance(peer, to: batch.cursor)
        case .downstream(nil): break
        }
        // The clock moves past what arrived, but never further ahead of this computer's clock
        // than the bound every store keeps (a state from a laptop whose clock is set years
        // ahead must not drag everybody's clock along); a clock already dragged there is
        // set back to now (it only orders concurrent values for display, never causality).
        let ahead = "\(StoreSchema.nowMilliseconds) + \(HybridTimestamp.maxSkewMilliseconds)"
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
                        THEN \(StoreSchema.nowMilliseconds) ELSE hlc_ms END,
                    hlc_logical = CASE WHEN hlc_ms > \(ahead) OR hlc_logical >= \(HybridTimestamp.maxLogical)
                        THEN 0 ELSE hlc_logical END
                WHERE id = 1
                """)
        return (plan, states)
    }

    /// The stored state of a record (deleted ones included), or nil.
    public func state(of key: RecordKey) throws -> RecordState? {
        try read { db in try StateTable(db).load([key])[key] }
    }
}
