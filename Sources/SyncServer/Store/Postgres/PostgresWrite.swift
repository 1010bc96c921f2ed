import Foundation
import Logging
import NIOCore
import PostgresNIO
import SyncKernel
import SyncStore

/// One write transaction of the PostgreSQL store, under the store's feed lock: what
/// `StateStore.merge` does in SQLite — load the states a batch touches, plan (`ApplyPlan`,
/// pure), save states, routes, knowledge, offices and acknowledgements — plus the store's
/// clock for its own writes, kept in memory until ``finish()``.
///
/// The feed lock (`pg_advisory_xact_lock`) is taken first, so the transactions that write the
/// feed run one at a time, in every server on the database: each takes positions above every
/// committed one and commits before the next takes any. A reader never sees a position
/// committed after a higher one it already passed (docs/sync-model.md, "Several servers, one
/// database").
final class PostgresWrite {
    let connection: PostgresConnection
    let logger: Logger
    /// The store's replica id: the replica part of its own writes' dots.
    let replica: ReplicaID
    private var counter: Int64
    private var milliseconds: Int64
    private var logical: Int64
    private var sequence: Int64
    /// The feed's head when the lock was taken: the latest committed position.
    private let committedHead: Int64
    private var saved = false
    private var knowledge: [ReplicaID: UInt64] = [:]

    /// The advisory lock key of the feed ("QSfeed").
    static let feedLock: Int64 = 0x5153_6665_6564

    /// Takes the feed lock and reads the clock and the feed's head.
    init(_ connection: PostgresConnection, replica: ReplicaID, logger: Logger) async throws {
        self.connection = connection
        self.logger = logger
        self.replica = replica
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.feedLock))", logger: logger)
        var clock: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
        for try await row in try await connection.query(
            """
            SELECT c.counter, c.hlc_ms, c.hlc_logical, s.store_seq FROM _sync_clock c, _sync_state s
            WHERE c.id = 1 AND s.id = 1
            """, logger: logger)
        {
            clock = try row.decode((Int64, Int64, Int64, Int64).self)
        }
        (counter, milliseconds, logical) = (clock.0, clock.1, clock.2)
        committedHead = clock.3
        sequence = max(clock.3, StateTable.feedPosition(at: Date()))
    }

    /// The feed's head as this transaction leaves it.
    var head: Int64 { saved ? sequence : committedHead }

    @discardableResult
    func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await connection.query(query, logger: logger)
    }

    /// The next dot and hybrid time of the store's own writes.
    func tick() -> (Dot, HybridTimestamp) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        counter += 1
        if now > milliseconds {
            milliseconds = now
            logical = 0
        } else {
            logical += 1
        }
        return (
            Dot(replica: replica, counter: UInt64(clamping: counter)),
            HybridTimestamp(milliseconds: milliseconds, logical: UInt32(clamping: logical))
        )
    }

    /// The stored states of `keys`.
    func load(_ keys: some Collection<RecordKey>) async throws -> [RecordKey: RecordState] {
        try await PostgresServerStore.states(of: keys, on: connection, logger: logger)
    }

    /// The Quartiere each of `keys` was routed to before it moved (announced routes left out).
    func formerRoutes(of keys: [RecordKey]) async throws -> [RecordKey: Set<String>] {
        guard !keys.isEmpty else { return [:] }
        var routes: [RecordKey: Set<String>] = [:]
        let rows = try await query(
            """
            SELECT r.tbl, r.id, r.quartier FROM _sync_routes r
            JOIN unnest(\(keys.map(\.table.rawValue)), \(keys.map(\.id))) AS k(tbl, id)
                ON r.tbl = k.tbl AND r.id = k.id
            WHERE r.announced = 0
            """)
        for try await (table, id, quartier) in rows.decode((String, String, String).self) {
            guard let table = SyncTable(rawValue: table) else { continue }
            routes[RecordKey(table, id), default: []].insert(quartier)
        }
        return routes
    }

    /// Merges `batch` (plan, then write), as `StateStore.merge` does in SQLite: the server's
    /// own writes and the pushes it takes (its registry names the offices: authoritative).
    func merge(
        _ batch: ChangeBatch, from source: StateStore.Source, validator: StateValidator? = nil,
        scope: WriteScope? = nil
    ) async throws -> ApplyPlan {
        let keys = batch.records.map(\.key) + batch.evictions.map(\.key)
        let states = try await load(keys)
        let storedRoutes = scope == nil ? [:] : try await formerRoutes(of: batch.records.map(\.key))
        let plan = ApplyPlan(
            batch: batch, states: states, source: source, validator: validator, scope: scope,
            storedRoutes: storedRoutes)
        try await save(plan.changed, before: states)
        try await remember(formerRoutes: plan.formerRoutes)
        for (replica, office) in batch.offices {
            try await query(
                """
                INSERT INTO _sync_replicas (replica_id, office) VALUES (\(replica.rawValue), \(office))
                ON CONFLICT (replica_id) DO UPDATE SET office = excluded.office
                """)
        }
        if case .downstream(let acknowledgement?) = source {
            try await query(
                """
                INSERT INTO _sync_acks (replica_id, position)
                VALUES (\(acknowledgement.replica.rawValue), \(acknowledgement.position))
                ON CONFLICT (replica_id) DO UPDATE SET position = greatest(_sync_acks.position, excluded.position)
                """)
        }
        advanceClock(past: plan.latest)
        return plan
    }

    /// Stores `entries` under the next positions, in one statement; a record whose route
    /// changes keeps its old route among its former ones (the SQLite store's trigger).
    private func save(_ entries: [StateTable.Entry], before: [RecordKey: RecordState]) async throws {
        guard !entries.isEmpty else { return }
        saved = true
        var tables: [String] = []
        var ids: [String] = []
        var positions: [Int64] = []
        var routes: [String] = []
        var visible: [Int32] = []
        var conflicts: [Int32] = []
        var blobs: [ByteBuffer] = []
        var moved: (tables: [String], ids: [String], routes: [String]) = ([], [], [])
        for entry in entries {
            let state = entry.state
            sequence += 1
            for (replica, counter) in state.context.counters where knowledge[replica, default: 0] < counter {
                knowledge[replica] = counter
            }
            tables.append(state.table.rawValue)
            ids.append(state.id)
            positions.append(sequence)
            routes.append(state.route ?? "")
            visible.append(state.isVisible ? 1 : 0)
            conflicts.append(Int32(clamping: state.openConflictCount))
            blobs.append(ByteBuffer(bytes: entry.encoded.map(Array.init) ?? state.encoded()))
            if let old = before[state.key]?.route, old != state.route {
                moved.tables.append(state.table.rawValue)
                moved.ids.append(state.id)
                moved.routes.append(old)
            }
        }
        if !moved.ids.isEmpty {
            try await query(
                """
                INSERT INTO _sync_routes (tbl, id, quartier, announced)
                SELECT * , 0 FROM unnest(\(moved.tables), \(moved.ids), \(moved.routes))
                ON CONFLICT (tbl, id, quartier) DO UPDATE SET announced = 0
                """)
        }
        try await query(
            """
            INSERT INTO _sync_records (tbl, id, seq, quartier, visible, conflicts, state)
            SELECT t, i, s, NULLIF(q, ''), v, c, b
            FROM unnest(\(tables), \(ids), \(positions), \(routes), \(visible), \(conflicts), \(blobs))
                AS u(t, i, s, q, v, c, b)
            ON CONFLICT (tbl, id) DO UPDATE SET seq = excluded.seq, quartier = excluded.quartier,
                visible = excluded.visible, conflicts = excluded.conflicts, state = excluded.state,
                moved = CASE WHEN _sync_records.moved <> 0
                    OR _sync_records.quartier IS DISTINCT FROM excluded.quartier THEN 1 ELSE 0 END
            """)
    }

    /// Notes Quartiere a push said records were held in (only announced: see `StateTable`).
    private func remember(formerRoutes: [(key: RecordKey, route: String)]) async throws {
        for (key, route) in formerRoutes {
            try await query(
                """
                INSERT INTO _sync_routes (tbl, id, quartier, announced)
                VALUES (\(key.table.rawValue), \(key.id), \(route), 1) ON CONFLICT DO NOTHING
                """)
            try await query(
                "UPDATE _sync_records SET moved = 1 WHERE tbl = \(key.table.rawValue) AND id = \(key.id)")
        }
    }

    /// The clock moves past what arrived, within the bound every store keeps (as in
    /// `StateStore.merge`).
    private func advanceClock(past latest: HybridTimestamp) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let ahead = now + HybridTimestamp.maxSkewMilliseconds
        if latest.milliseconds <= ahead {
            if latest.milliseconds > milliseconds
                || (latest.milliseconds == milliseconds && Int64(latest.logical) > logical)
            {
                logical = Int64(latest.logical)
            }
            milliseconds = max(milliseconds, latest.milliseconds)
        }
        if milliseconds > ahead || logical >= Int64(HybridTimestamp.maxLogical) {
            milliseconds = now
            logical = 0
        }
    }

    /// Writes the feed's head, what the saved states taught about each replica, and the clock.
    func finish() async throws {
        if saved { try await query("UPDATE _sync_state SET store_seq = \(sequence) WHERE id = 1") }
        if !knowledge.isEmpty {
            let replicas = knowledge.keys.map(\.rawValue)
            let counters = knowledge.values.map { Int64(clamping: $0) }
            try await query(
                """
                INSERT INTO _sync_knowledge (replica_id, counter) SELECT * FROM unnest(\(replicas), \(counters))
                ON CONFLICT (replica_id) DO UPDATE SET counter = greatest(_sync_knowledge.counter, excluded.counter)
                """)
        }
        try await query(
            "UPDATE _sync_clock SET counter = \(counter), hlc_ms = \(milliseconds), hlc_logical = \(logical) WHERE id = 1"
        )
    }
}
