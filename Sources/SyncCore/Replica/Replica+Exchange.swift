import Foundation
import GRDB
import SyncKernel

/// Exchanging record states with other stores: the changes feed, the outbox, and apply.
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
        try readingFeed { db in try changesPage(db, cursor, limit, quartiers) }
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
        try readingFeed { db in try self.encodedPage(db, cursor, limit, quartiers) }
    }

    /// ``encodedChanges(since:limit:quartiers:)`` of a server store, without blocking the
    /// caller's thread.
    public func encodedChanges(since cursor: Int64, limit: Int = 500, quartiers: [String]? = nil) async throws
        -> EncodedBatch
    {
        guard kind == .server else {
            return try readingFeed { db in try self.encodedPage(db, cursor, limit, quartiers) }
        }
        return try await read { db in try self.encodedPage(db, cursor, limit, quartiers) }
    }

    private func encodedPage(_ db: Database, _ cursor: Int64, _ limit: Int, _ quartiers: [String]?) throws
        -> EncodedBatch
    {
        let page = try self.feedPage(db, cursor, limit, quartiers)
        let evictions = try page.leaving.map(Self.eviction)
        var replicas = Set<ReplicaID>()
        for state in page.states {
            do {
                try RecordState.replicaIDs(inEncoded: state, into: &replicas)
            } catch {
                throw SyncError(
                    .corruptData, "a stored record state cannot be decoded: restore the store from a backup",
                    cause: error)
            }
        }
        let bytes = ChangeBatch.encode(
            cursor: page.cursor, hasMore: page.hasMore, offices: try self.offices(db, of: replicas),
            records: page.states.map { $0[...] }, evictions: evictions)
        return EncodedBatch(bytes: bytes, count: page.states.count, cursor: page.cursor, hasMore: page.hasMore)
    }

    private func changesPage(_ db: Database, _ cursor: Int64, _ limit: Int, _ quartiers: [String]?) throws
        -> ChangeBatch
    {
        let page = try feedPage(db, cursor, limit, quartiers)
        let records = try page.states.map { try StateTable.decode(bytes: $0) }
        var batch = ChangeBatch(
            records: records, offices: try offices(db, for: records), cursor: page.cursor, hasMore: page.hasMore,
            evictions: try page.leaving.map(Self.eviction))
        // The stored bytes travel on as they are: sending the page re-encodes nothing.
        batch.encodedRecords = page.states.map { $0[...] }
        return batch
    }

    /// The stored states of one page of the feed — those in the reader's scope, and those that
    /// left it — and where the next page starts.
    private func feedPage(_ db: Database, _ cursor: Int64, _ limit: Int, _ quartiers: [String]?) throws
        -> (states: [[UInt8]], leaving: [[UInt8]], cursor: Int64, hasMore: Bool)
    {
        let rows: [Row]
        if let quartiers {
            // A record is in the page when it is routed to the reader's scope now, or was before
            // (then the reader is told it left). Former routes are only looked up for records
            // that ever moved.
            rows = try db.rows(
                sql: """
                    SELECT seq, state, quartier FROM _sync_records r
                    WHERE seq > ?1 AND (quartier = '*' OR quartier IN (SELECT value FROM json_each(?2))
                        OR (moved AND EXISTS (
                            SELECT 1 FROM _sync_routes h WHERE h.tbl = r.tbl AND h.id = r.id
                            AND (h.quartier = '*' OR h.quartier IN (SELECT value FROM json_each(?2))))))
                    ORDER BY seq LIMIT ?3
                    """,
                arguments: [cursor, StateTable.jsonArray(quartiers), limit + 1])
        } else {
            rows = try db.rows(
                sql: "SELECT seq, state, quartier FROM _sync_records WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [cursor, limit + 1])
        }
        let page = rows.prefix(limit)
        var states: [[UInt8]] = []
        var leaving: [[UInt8]] = []
        states.reserveCapacity(page.count)
        // Columns by position (seq, state, quartier): a lookup by name searches the row's
        // columns, once per record of the page.
        for row in page {
            let bytes = (row[1] as Data?).map { [UInt8]($0) } ?? []
            if let quartiers, !Quartier.scope(quartiers, covers: row[2]) {
                leaving.append(bytes)
            } else {
                states.append(bytes)
            }
        }
        let hasMore = rows.count > limit
        var next: Int64 = page.last?[0] ?? cursor
        if !hasMore {
            // The last page: skip the records this reader may not see, so that the next pull
            // does not scan them again.
            next = max(next, try db.value(Int64.self, sql: "SELECT max(seq) FROM _sync_records") ?? cursor)
        }
        return (states, leaving, next, hasMore)
    }

    /// The eviction of a stored state: its key and context, none of its values.
    private static func eviction(_ bytes: [UInt8]) throws -> Eviction {
        let state = try StateTable.decode(bytes: bytes)
        return Eviction(key: state.key, context: state.context)
    }

    /// The next page of local changes not yet acknowledged by upstream, at most `limit` log
    /// entries. Its cursor is the last log position included; pass it to ``acknowledge(upTo:)``
    /// once upstream has stored the page.
    public func outgoing(limit: Int = 500) throws -> ChangeBatch {
        try write { db in
            try fold(db)
            let acked = try db.value(Int64.self, sql: "SELECT acked_seq FROM _sync_state WHERE id = 1") ?? 0
            let entries = try db.rows(
                sql: "SELECT seq, tbl, row_id FROM _sync_log WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [acked, limit + 1])
            let page = entries.prefix(limit)
            var keys: [RecordKey] = []
            var seen = Set<RecordKey>()
            for entry in page {
                let key = RecordKey(SyncTable(rawValue: entry["tbl"])!, entry["row_id"])
                if seen.insert(key).inserted { keys.append(key) }
            }
            let states = try StateTable(db).load(keys)
            let records = keys.compactMap { states[$0] }
            return ChangeBatch(
                records: records, offices: try offices(db, for: records),
                cursor: page.last?["seq"] ?? acked, hasMore: entries.count > limit)
        }
    }

    /// The log position up to which upstream acknowledged this replica's changes.
    public func pushedPosition() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT acked_seq FROM _sync_state WHERE id = 1") ?? 0 }
    }

    /// Marks local changes up to log position `position` as stored upstream. Later edits,
    /// including edits of the same records made after the page was read, stay pending.
    public func acknowledge(upTo position: Int64) throws {
        try write { db in
            try db.run(sql: "UPDATE _sync_state SET acked_seq = max(acked_seq, ?) WHERE id = 1", arguments: [position])
        }
    }

    /// Merges a batch of states into this replica, in one transaction: states, visible rows,
    /// conflicts and (for upstream batches) the pull cursor change together or not at all.
    @discardableResult
    public func apply(_ batch: ChangeBatch, from source: Source) throws -> ApplySummary {
        try write { db in try apply(db, batch, source) }
    }

    /// Merges a batch like the synchronous `apply(_:from:)`, without blocking the caller's thread.
    @discardableResult
    public func apply(_ batch: ChangeBatch, from source: Source) async throws -> ApplySummary {
        try await write { db in try self.apply(db, batch, source) }
    }

    /// Merges and plans the batch (pure), then writes the plan in the caller's transaction.
    private func apply(_ db: Database, _ batch: ChangeBatch, _ source: Source) throws -> ApplySummary {
        try fold(db)
        try db.run(sql: "UPDATE _sync_clock SET applying = 1 WHERE id = 1")
        var table = try StateTable(db)
        let states = try table.load(batch.records.map(\.key) + batch.evictions.map(\.key))
        let plan = ApplyPlan(batch: batch, states: states, source: source, kind: kind)
        try table.save(plan.changed)
        for (key, route) in plan.formerRoutes {
            try db.run(
                sql: "INSERT OR IGNORE INTO _sync_routes (tbl, id, quartier) VALUES (?, ?, ?)",
                arguments: [key.table.rawValue, key.id, route])
            try db.run(
                sql: "UPDATE _sync_records SET moved = 1 WHERE tbl = ? AND id = ?",
                arguments: [key.table.rawValue, key.id])
        }
        if kind == .office {
            var visibleRows = VisibleRows(db: db)
            try visibleRows.write(plan.changed)
            try evict(db, plan.leaving)
        }
        try table.finish()
        for (replica, office) in batch.offices {
            try db.run(
                sql: "INSERT INTO _sync_replicas (replica_id, office) VALUES (?, ?) ON CONFLICT DO NOTHING",
                arguments: [replica.rawValue, office])
        }
        if case .downstream(let acknowledgement?) = source {
            try db.run(
                sql: """
                    INSERT INTO _sync_acks (replica_id, position) VALUES (?, ?)
                    ON CONFLICT (replica_id) DO UPDATE SET position = max(position, excluded.position)
                    """, arguments: [acknowledgement.replica.rawValue, acknowledgement.position])
        }
        for key in plan.relayed {
            // A relay entry takes a log position (a counter value no write uses) and no dot.
            try db.run(sql: "UPDATE _sync_clock SET counter = counter + 1 WHERE id = 1")
            try db.run(
                sql:
                    "INSERT INTO _sync_log (seq, tbl, row_id, op) SELECT counter, ?, ?, 'relay' FROM _sync_clock WHERE id = 1",
                arguments: [key.table.rawValue, key.id])
        }
        if case .upstream(let peer) = source {
            try db.run(
                sql:
                    "INSERT INTO _sync_cursors (peer, cursor) VALUES (?, ?) ON CONFLICT (peer) DO UPDATE SET cursor = max(cursor, excluded.cursor)",
                arguments: [peer, batch.cursor])
        }
        try db.run(
            sql: """
                UPDATE _sync_clock SET applying = 0,
                    hlc_logical = CASE WHEN ?1 > hlc_ms OR (?1 = hlc_ms AND ?2 > hlc_logical) THEN ?2 ELSE hlc_logical END,
                    hlc_ms = max(hlc_ms, ?1)
                WHERE id = 1
                """, arguments: [plan.latest.milliseconds, plan.latest.logical])
        return plan.summary
    }

    /// The pull cursor for `peer`: 0 before the first pull.
    public func cursor(for peer: String) throws -> Int64 {
        try read { db in
            try db.value(Int64.self, sql: "SELECT cursor FROM _sync_cursors WHERE peer = ?", arguments: [peer]) ?? 0
        }
    }

    func offices(_ db: Database, for records: [RecordState]) throws -> [ReplicaID: String] {
        var replicas = Set<ReplicaID>()
        for record in records {
            for sibling in record.alive { replicas.insert(sibling.dot.replica) }
            for siblings in record.fields.values { for sibling in siblings { replicas.insert(sibling.dot.replica) } }
        }
        return try offices(db, of: replicas)
    }

    func offices(_ db: Database, of replicas: Set<ReplicaID>) throws -> [ReplicaID: String] {
        var offices: [ReplicaID: String] = [:]
        for replica in replicas {
            if let office = try db.value(
                String.self, sql: "SELECT office FROM _sync_replicas WHERE replica_id = ?",
                arguments: [replica.rawValue])
            {
                offices[replica] = office
            }
        }
        return offices
    }
}
