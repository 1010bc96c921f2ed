import Foundation
import GRDB
import SyncKernel
import SyncProtocol
import SyncStore

/// Erasure orders at the server: erasing for an admin, the proof per office, and what a push
/// that erased records brings about.
///
/// An office confirms an order by pulling past it: the server notes, when an office has pulled
/// to the end of its feed (`SyncEvent.pulledToEnd`), every order of its Quartiere whose order
/// record lies at or before the position the office durably holds (so on the sync after the
/// one that carried it out). An office applies a page and
/// moves its cursor in one transaction and empties its WAL after an erasure before it asks for
/// the next page, so holding that position means it carried the order out.
extension SQLiteServerStore {
    /// Erases record `key` everywhere for admin `admin` (`StateStore.erase`).
    public func erase(_ key: RecordKey, reason: String, by admin: String) async throws -> ErasureOrder {
        try await states.erase(key, reason: reason, by: "admin:\(admin)")
    }

    /// The erasure orders of records in `office`'s Quartiere that it has not confirmed, with the
    /// erased records' states: what a server sends an office before it takes its pushes, so
    /// that an office back after weeks offline carries the erasures out before it sends edits
    /// of those records. With `everywhere` (an office that keeps records outside its
    /// Quartiere), also the erased states — ids, dots, routes, no person — of every other
    /// Quartier. The batch's cursor is 0: applying it moves no pull cursor.
    public func outstandingErasures(for office: Office, everywhere: Bool = false) async throws -> ChangeBatch {
        let quartiers = office.quartiers
        return try await states.read { db in
            var records: [RecordState] = []
            for row in try db.rows(
                sql: """
                    SELECT r.state FROM _sync_records r
                    WHERE r.tbl = 'erasures' AND (? OR NOT EXISTS (
                        SELECT 1 FROM _server_erasure_confirmations c WHERE c.order_id = r.id AND c.office = ?))
                    ORDER BY r.seq
                    """, arguments: [everywhere, office.name])
            {
                let state = try StateTable.decode(row["state"])
                guard let order = ErasureOrder(state) else { continue }
                let key = RecordKey(order.table, order.recordId)
                guard let target = try StateTable(db).load([key])[key], target.isErased else { continue }
                if Quartier.scope(quartiers, covers: target.route) {
                    records += [target, state]
                } else if everywhere {
                    // Only the erased state, which holds nothing of the person: for a record the
                    // office keeps outside its Quartiere (waiting to hand it over, or refused).
                    records.append(target)
                }
            }
            let offices = try OfficeDirectory(db: db).offices(for: records)
            return ChangeBatch(records: records, offices: offices, cursor: 0, hasMore: false)
        }
    }

    /// How many erasure orders of records in `quartiers` `office` has not confirmed (counted
    /// by the orders' own route, which is the record's when it was erased).
    func outstandingErasureCount(for office: Office) async throws -> Int {
        try await states.read { db in
            let scope = Set(office.quartiers + [Quartier.shared])
            return try db.rows(
                sql: """
                    SELECT r.quartier FROM _sync_records r
                    WHERE r.tbl = 'erasures' AND NOT EXISTS (
                        SELECT 1 FROM _server_erasure_confirmations c WHERE c.order_id = r.id AND c.office = ?)
                    """, arguments: [office.name]
            ).filter { ($0[0] as String?).map(scope.contains) ?? false }.count
        }
    }

    /// Every erasure order with the offices that confirmed it and those outstanding.
    public func erasures() async throws -> [ErasureStatus] {
        try await states.read { db in try Self.erasures(db) }
    }

    static func erasures(_ db: Database) throws -> [ErasureStatus] {
        let orders = try StateStore.erasureOrders(db)
        guard !orders.isEmpty else { return [] }
        let offices = try Row.fetchAll(
            db,
            sql: """
                SELECT o.name, o.quartiers, o.created_at, o.revoked_at, a.last_seen_at FROM _server_offices o
                LEFT JOIN _server_activity a ON a.office = o.name
                WHERE o.revoked_at IS NULL ORDER BY o.name
                """
        ).map { row in (office: office(row), lastSeen: row[4] as String?) }
        var confirmations: [String: [ErasureStatus.Confirmation]] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT order_id, office, confirmed_at FROM _server_erasure_confirmations ORDER BY confirmed_at")
        {
            confirmations[row[0], default: []].append(ErasureStatus.Confirmation(office: row[1], at: row[2]))
        }
        var routes: [String: String] = [:]
        for order in orders {
            if let route = try String.fetchOne(
                db, sql: "SELECT quartier FROM _sync_records WHERE tbl = ? AND id = ?",
                arguments: [order.table.rawValue, order.recordId])
            {
                routes[order.id] = route
            }
        }
        return ServerLedger.erasureStatuses(
            orders, routes: routes,
            holders: offices.map { ServerLedger.Holder(office: $0.office, lastSeen: $0.lastSeen) },
            confirmations: confirmations)
    }

    /// Notes, for `office` holding the feed up to `holds`, every order it has carried out.
    static func confirmErasures(_ db: Database, office: Office, holds: Int64) throws {
        let pending = try Row.fetchAll(
            db,
            sql: """
                SELECT r.seq, r.state FROM _sync_records r
                WHERE r.tbl = 'erasures' AND r.seq <= ?
                    AND NOT EXISTS (
                        SELECT 1 FROM _server_erasure_confirmations c WHERE c.order_id = r.id AND c.office = ?)
                """, arguments: [holds, office.name])
        for row in pending {
            guard let order = ErasureOrder(try StateTable.decode(row[1])) else { continue }
            guard
                let target = try Row.fetchOne(
                    db, sql: "SELECT quartier, state FROM _sync_records WHERE tbl = ? AND id = ?",
                    arguments: [order.table.rawValue, order.recordId])
            else { continue }
            // The order is written after the erasure (in one transaction, one push, or the
            // admin's write): an office holding the order's position received an erased
            // version of the record, even when later writes it absorbed moved the record on.
            guard Quartier.scope(office.quartiers, covers: target[0] ?? order.quartier),
                try StateTable.decode(target[1]).isErased
            else { continue }
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO _server_erasure_confirmations (order_id, office, confirmed_at)
                    VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))
                    """, arguments: [order.id, office.name])
        }
    }
}

extension SQLiteServerStore {
    /// What the network holds about a person (DSGVO Art. 15), found by contact id, e-mail
    /// address or phone number; the offices holding each record are those serving its
    /// Quartier.
    public func subjectReport(id: String?, email: String?, phone: String?) async throws -> SubjectReport {
        try await states.read { db in
            var ids = id.map { [$0] } ?? []
            if email != nil || phone != nil { ids += try StateStore.contacts(db, email: email, phone: phone) }
            let offices = try Row.fetchAll(
                db,
                sql:
                    "SELECT name, quartiers, created_at, revoked_at FROM _server_offices WHERE revoked_at IS NULL ORDER BY name"
            ).map(Self.office)
            return try self.states.subjectReport(db, contacts: ids, madeBy: "sync-server") { route in
                offices.filter { Quartier.scope($0.quartiers, covers: route) }.map(\.name)
            }
        }
    }
}

extension ServerStore {
    /// The erasure orders whose records the backup file at `path` (a SQLite store) still holds
    /// with their values: a backup taken before the order. Such a backup holds the person until
    /// it is deleted.
    public func erasuresStillIn(backup path: String) async throws -> [ErasureOrder] {
        let backup = try StateStore.open(at: path)
        var held: [ErasureOrder] = []
        for order in try await erasures().map(\.order) {
            let key = RecordKey(order.table, order.recordId)
            if let state = try backup.state(of: key), !state.isErased { held.append(order) }
        }
        return held
    }
}
