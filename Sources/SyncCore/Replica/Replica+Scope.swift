import Foundation
import GRDB
import SyncKernel
import SyncStore

/// The Quartiere an office serves, and the records that leave it.
///
/// The server decides an office's scope and says it at the start of every sync
/// (`GET /v2/session`). An office holds only records routed to its scope; a record that leaves
/// it — moved to another Quartier, created here for another Quartier, or left behind when the
/// office's own scope shrank — is *evicted*: its row, its state, its former routes and its
/// change-log entries go, without a delete being recorded (it lives on elsewhere).
extension Replica {
    /// The scope the pull cursor for `peer` was read with; nil before the first sync with it.
    public func scope(for peer: String) throws -> [String]? {
        try read { db in
            try Peers(db: db).scopeJSON(for: peer).flatMap {
                try? JSONDecoder().decode([String].self, from: Data($0.utf8))
            }
        }
    }

    /// The Quartiere this office serves as its server last said (the union, should it have
    /// synced with more than one); nil before its first sync.
    public func servedQuartiere() throws -> [String]? {
        let scopes = try read { db in
            try String?.fetchAll(db, sql: "SELECT scope FROM _sync_cursors WHERE scope IS NOT NULL")
        }.compactMap { $0.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } }
        return scopes.isEmpty ? nil : Array(Set(scopes.joined())).sorted()
    }

    /// Compares the scope the server gave for `peer` with the one the pull cursor was read for.
    /// When they differ, the cursor starts again from 0 (the records of a new Quartier lie
    /// behind it) and the result is true: the caller then evicts everything outside the scope
    /// and, once that is done, calls ``confirm(scope:for:)``. Until then every sync finds the
    /// scope changed again, so a sync killed in between repeats the eviction.
    @discardableResult
    public func adopt(scope: [String], for peer: String) throws -> Bool {
        let json = try Self.scopeJSON(scope)
        return try write { db in
            let peers = Peers(db: db)
            guard try peers.scopeJSON(for: peer) != json else { return false }
            try peers.rewind(peer)
            return true
        }
    }

    /// Notes that this replica holds nothing outside `scope` any more: the scope its pull
    /// cursor for `peer` is read with from now on.
    public func confirm(scope: [String], for peer: String) throws {
        let json = try Self.scopeJSON(scope)
        try write { db in try Peers(db: db).setScopeJSON(json, for: peer) }
    }

    private static func scopeJSON(_ scope: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(Array(Set(scope)).sorted()), as: UTF8.self)
    }

    /// What the server says about who holds what, for letting records go safely.
    public struct Handover: Sendable, Equatable {
        /// A feed position at or above every state of this office's the server has stored
        /// (the latest push receipt's, or the session's).
        public var head: Int64
        /// For each Quartier an active office serves, the feed position an office serving it
        /// holds (a Quartier missing here has no office).
        public var delivered: [String: Int64]

        /// Creates the hand-over facts.
        public init(head: Int64, delivered: [String: Int64]) {
            self.head = head
            self.delivered = delivered
        }
    }

    /// Evicts the records routed outside `scope` that have nothing left to push.
    ///
    /// With `everything` (after a change of scope) every such record goes. Otherwise only the
    /// records with change-log entries after the eviction position, which is where this
    /// office's own moves and creations for other Quartiere are: the position moves up to the
    /// acknowledged push only here, so a sync stopped between its push and this call (killed,
    /// cable pulled) leaves nothing behind for good; the next sync evicts it.
    ///
    /// With `handover`, a record goes only once an office of its Quartier holds it: the first
    /// time it is found leaving, it waits (`_sync_leaving`) for the server's position
    /// `handover.head`; it leaves on a later sync once its Quartier's delivered position has
    /// passed that. Then a restore of the server from an older backup cannot lose it: the
    /// office there sends it back. A record of a Quartier no office serves stays, and
    /// ``status()`` says so.
    /// - Returns: the number of records evicted.
    @discardableResult
    public func evictOutside(scope: [String], everything: Bool = false, handover: Handover? = nil) throws -> Int {
        try write { db in
            try fold(db)
            var candidates: [Row]
            if everything {
                candidates = try db.rows(
                    sql: """
                        SELECT tbl, id, quartier, NULL FROM _sync_records
                        WHERE quartier != '*' AND quartier NOT IN (SELECT value FROM json_each(?))
                        """, arguments: [StateTable.jsonArray(scope)])
            } else {
                candidates = try db.rows(
                    sql: """
                        SELECT DISTINCT r.tbl, r.id, r.quartier, NULL FROM _sync_log l
                        JOIN _sync_records r ON r.tbl = l.tbl AND r.id = l.row_id
                        WHERE l.seq > (SELECT evicted_seq FROM _sync_state WHERE id = 1)
                        """)
            }
            // Records waiting for their hand-over are looked at on every sync, first. (CROSS
            // JOIN keeps the few waiting rows outside: with a plain join SQLite scanned every
            // record on every sync, 150 ms at 100,000 records.)
            candidates =
                try db.rows(
                    sql: """
                        SELECT r.tbl, r.id, r.quartier, w.route FROM _sync_leaving w
                        CROSS JOIN _sync_records r ON r.tbl = w.tbl AND r.id = w.id
                        """) + candidates
            // Entries up to the acknowledged push are settled now: their records leave below,
            // or stay because they are in scope or refused (a refused record that is pushed
            // again gets a new entry).
            try db.run(sql: "UPDATE _sync_state SET evicted_seq = max(evicted_seq, acked_seq) WHERE id = 1")
            // A change the server refused stays, marked, for the office to see (`syncctl status`).
            let pending = try Outbox(db: db).pendingKeys().union(Self.refusedKeys(db))
            var leaving: [RecordKey] = []
            var seen = Set<RecordKey>()
            for row in candidates {
                let key = RecordKey(SyncTable(rawValue: row[0])!, row[1])
                guard seen.insert(key).inserted else { continue }
                if row[3] as String? == Self.movedOnRoute {
                    // Moved on by another office: it waits for every Quartier, unless edited
                    // here since (then it is pushed, and the server's next eviction decides).
                    if pending.contains(key) {
                        try Self.stopWaiting(db, key)
                    } else if try handover.map({ try Self.handedOver(db, key, Self.movedOnRoute, $0) }) ?? true {
                        leaving.append(key)
                    }
                    continue
                }
                let route: String? = row[2]
                guard let route, !Quartier.scope(scope, covers: route), !pending.contains(key) else {
                    // Back in scope (or pending again): nothing waits.
                    try Self.stopWaiting(db, key)
                    continue
                }
                if let handover, try !Self.handedOver(db, key, route, handover) { continue }
                leaving.append(key)
            }
            guard !leaving.isEmpty else { return 0 }
            try db.run(sql: "UPDATE _sync_clock SET applying = 1 WHERE id = 1")
            try evict(db, leaving)
            try db.run(sql: "UPDATE _sync_clock SET applying = 0 WHERE id = 1")
            return leaving.count
        }
    }

    /// Ends the wait of `key` in `_sync_leaving`, if any.
    static func stopWaiting(_ db: Database, _ key: RecordKey) throws {
        try db.run(
            sql: "DELETE FROM _sync_leaving WHERE tbl = ? AND id = ?", arguments: [key.table.rawValue, key.id])
    }

    /// The route `_sync_leaving` notes for a record another office moved out of this office's
    /// Quartiere: the eviction that said so does not say where to.
    static let movedOnRoute = ""

    /// Keeps records another office moved out of this office's Quartiere while they carry this
    /// replica's own writes (`ApplyPlan.movedOn`): they wait until the offices of every Quartier
    /// hold the feed past `after`, where the eviction was. A pulled state of a waiting record
    /// (it is back in scope) ends the wait.
    func holdMovedOn(_ db: Database, _ keys: [RecordKey], after: Int64, pulled: [RecordKey]) throws {
        for key in keys {
            try db.run(
                sql: """
                    INSERT INTO _sync_leaving (tbl, id, route, after, unserved) VALUES (?, ?, ?, ?, 0)
                    ON CONFLICT (tbl, id) DO NOTHING
                    """,
                arguments: [key.table.rawValue, key.id, Self.movedOnRoute, after])
        }
        guard !pulled.isEmpty, try db.value(Int64.self, sql: "SELECT EXISTS (SELECT 1 FROM _sync_leaving)") == 1
        else { return }
        for table in SyncTable.allCases {
            let ids = pulled.filter { $0.table == table }.map(\.id)
            guard !ids.isEmpty else { continue }
            try db.run(
                sql: """
                    DELETE FROM _sync_leaving
                    WHERE tbl = ? AND route = ? AND id IN (SELECT value FROM json_each(?))
                    """,
                arguments: [table.rawValue, Self.movedOnRoute, StateTable.jsonArray(ids)])
        }
    }

    /// Whether an office of `route` holds `key` (it may leave here now); else notes that it
    /// waits, for the position `handover.head` the first time. For a record moved on by
    /// another office (``movedOnRoute``) the offices of every Quartier must hold it.
    static func handedOver(_ db: Database, _ key: RecordKey, _ route: String, _ handover: Handover) throws -> Bool {
        let after = try db.value(
            Int64.self, sql: "SELECT after FROM _sync_leaving WHERE tbl = ? AND id = ?",
            arguments: [key.table.rawValue, key.id])
        let delivered = route == movedOnRoute ? handover.delivered.values.min() : handover.delivered[route]
        if let after, let delivered, delivered >= after { return true }
        try db.run(
            sql: """
                INSERT INTO _sync_leaving (tbl, id, route, after, unserved) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (tbl, id) DO UPDATE SET route = excluded.route, unserved = excluded.unserved
                """,
            arguments: [
                key.table.rawValue, key.id, route, after ?? handover.head, delivered == nil && route != movedOnRoute,
            ])
        return false
    }

    /// Removes records from this office: rows, states, former routes and change-log entries;
    /// the next ``scrubIfMarked()`` empties the WAL of them.
    /// The capture triggers must stand aside (`applying`): leaving is not a delete.
    func evict(_ db: Database, _ keys: [RecordKey]) throws {
        guard !keys.isEmpty else { return }
        for table in SyncTable.allCases {
            let ids = keys.filter { $0.table == table }.map(\.id)
            guard !ids.isEmpty else { continue }
            let json = StateTable.jsonArray(ids)
            try db.run(
                sql: "DELETE FROM \(table.rawValue) WHERE id IN (SELECT value FROM json_each(?))", arguments: [json])
            try db.run(
                sql: "DELETE FROM _sync_log WHERE tbl = ? AND row_id IN (SELECT value FROM json_each(?))",
                arguments: [table.rawValue, json])
            try db.run(
                sql: "DELETE FROM _sync_leaving WHERE tbl = ? AND id IN (SELECT value FROM json_each(?))",
                arguments: [table.rawValue, json])
        }
        try StateTable(db).remove(keys)
        // The office may no longer hold what it let go of: no copy stays in the WAL either
        // (an erasure ordered later will not reach an office that does not hold the record).
        try StateStore.markScrub(db)
    }
}
