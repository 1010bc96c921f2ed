import Foundation
import GRDB
import SyncKernel
import SyncStore

/// Erasure at an office (DSGVO Art. 17): erasing a contact of its Quartiere, and what arrives
/// of erasures ordered elsewhere.
///
/// An erasure is a local write like any edit — captured, pushed and pulled — that turns the
/// record's state into an erased one (`RecordState.erase`), together with an erasure order
/// (`SyncTable.erasures`) in the same transaction. Every store it reaches drops the values
/// it held (the row, the state and the values it replaced, conflict versions), erases the audit
/// entries about the record, and empties its WAL, so that the values are in no byte of its
/// files. Erasure absorbs: no late edit or old copy brings the record back.
extension Replica {
    /// What an office's erasure did.
    public struct Erasure: Sendable, Equatable {
        /// The order, as it replicates.
        public var order: ErasureOrder
        /// Audit entries about the record, erased with it.
        public var auditEntries: Int
        /// Activities that named the contact as organiser and dropped the reference.
        public var activities: Int
    }

    /// Erases record `id` of `table` here, and orders its erasure everywhere: the record's
    /// values go from this replica's tables, states and files at once, the audit entries about
    /// it are erased, activities naming the contact as organiser keep everything but the
    /// reference, and the order (this office, `reason`, now) reaches every office that holds
    /// the record on their next syncs. Works offline.
    @discardableResult
    public func erase(_ table: SyncTable = .contacts, id: String, reason: String) throws -> Erasure {
        let reason = try ErasureOrder.checkedReason(reason)
        let key = RecordKey(table, id)
        let erasure = try write { db -> Erasure in
            try fold(db)
            guard let state = try StateTable(db).load([key])[key] else { throw StateStore.noRecord(key) }
            guard !state.isErased else { throw StateStore.alreadyErased(key) }
            let route = state.route ?? Quartier.shared
            try db.run(sql: "DELETE FROM \(table.rawValue) WHERE id = ?", arguments: [id])
            try capture(db, erasing: key, route: route)
            let audit = try db.rows(
                sql: "SELECT id, quartier FROM resolutions WHERE record_table = ? AND record_id = ?",
                arguments: [table.rawValue, id])
            for entry in audit {
                let entryKey = RecordKey(.resolutions, entry[0])
                try db.run(sql: "DELETE FROM resolutions WHERE id = ?", arguments: [entryKey.id])
                try capture(db, erasing: entryKey, route: entry[1])
            }
            var activities = 0
            if table == .contacts {
                try db.run(sql: "UPDATE activities SET organiser_id = NULL WHERE organiser_id = ?", arguments: [id])
                activities = db.changesCount
            }
            let now = try db.value(Int64.self, sql: "SELECT \(ReplicaSchema.nowMilliseconds)")!
            let order = ErasureOrder(
                id: RecordID.timeOrdered(milliseconds: now), quartier: route, table: table, recordId: id,
                orderedBy: office, reason: reason,
                orderedAt: try db.value(String.self, sql: "SELECT \(ReplicaSchema.nowISO)")!)
            _ = try InsertCapture(db: db, table: .erasures).insert([order.record])
            try forgetMarks(db, of: [key])
            try fold(db)
            try StateStore.markScrub(db)
            return Erasure(order: order, auditEntries: audit.count, activities: activities)
        }
        try store.scrubNow()
        return erasure
    }

    /// Appends the erasure of `key` to the change log (the fold turns it into an erased state).
    private func capture(_ db: Database, erasing key: RecordKey, route: String) throws {
        try db.execute(
            sql: ReplicaSchema.captureSQL(table: key.table, op: "erase", row: "?1", mask: "0", route: "?2"),
            arguments: [key.id, route])
    }

    /// Drops what this office noted about records that are erased now: a refusal or a
    /// hand-over waiting has nothing left to send.
    func forgetMarks(_ db: Database, of keys: [RecordKey]) throws {
        for key in keys {
            for table in ["_sync_refused", "_sync_leaving"] {
                try db.run(
                    sql: "DELETE FROM \(table) WHERE tbl = ? AND id = ?", arguments: [key.table.rawValue, key.id])
            }
        }
    }

    /// Empties the WAL if an erasure left erased values in it: a process killed between
    /// applying an erasure and emptying the WAL. Every sync starts with it.
    public func scrubIfMarked() async throws {
        try await store.scrubIfMarked()
    }

    /// Every erasure order this office holds, oldest first.
    public func erasureOrders() throws -> [ErasureOrder] {
        try records(.erasures).compactMap(ErasureOrder.init)
    }

    /// The records this office holds outside `scope`: kept to hand over, or refused by the
    /// server.
    public func keptOutside(scope: [String]) throws -> Set<RecordKey> {
        try read { db in
            var keys = Set<RecordKey>()
            for row in try db.rows(
                // From the (short) lists of marks, by the states' index: never a scan of every
                // state, which each sync would pay.
                sql: """
                    SELECT r.tbl, r.id, r.quartier
                    FROM (SELECT tbl, id FROM _sync_leaving UNION SELECT tbl, id FROM _sync_refused) k
                    JOIN _sync_records r ON r.tbl = k.tbl AND r.id = k.id
                    """)
            where !Quartier.scope(scope, covers: row[2]) {
                if let table = SyncTable(rawValue: row[0]) { keys.insert(RecordKey(table, row[1])) }
            }
            return keys
        }
    }

    /// Lets go of the records among `keys` that are erased now: kept outside this office's
    /// Quartiere, they are nothing to hand over any more (the server holds them erased).
    public func letGoOfErased(_ keys: Set<RecordKey>) throws {
        guard !keys.isEmpty else { return }
        try write { db in
            let states = try StateTable(db).load(keys)
            try evict(db, keys.filter { states[$0]?.isErased == true })
        }
    }

    /// Whether the record `key` is erased here.
    public func isErased(_ key: RecordKey) throws -> Bool {
        try read { db in try StateTable(db).load([key])[key]?.isErased ?? false }
    }
}

extension Replica {
    /// What this office holds about the contact `id` (DSGVO Art. 15): its record, activities
    /// naming it as organiser, audit entries and erasure orders about it, every field with each
    /// value held, who wrote it and when. A `not-found` error when this office never held it.
    public func subjectReport(contact id: String) throws -> SubjectReport {
        try write { db in
            try fold(db)
            let report = try store.subjectReport(db, contacts: [id], madeBy: office) { _ in [self.office] }
            guard !report.records.isEmpty || !report.erasureOrders.isEmpty else {
                throw StateStore.noRecord(RecordKey(.contacts, id))
            }
            return report
        }
    }
}
