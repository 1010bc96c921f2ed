import Foundation
import GRDB
import SyncKernel

/// The conflicts in a store's states, and settling one as the store's own write: what a server
/// does for an admin who holds no replica of the data.
extension StateStore {
    /// The open conflicts of records in `quartiers` (all with nil), without blocking the
    /// caller's thread: what a server shows an admin.
    public func conflicts(within quartiers: [String]?) async throws -> [Conflict] {
        try await read { db in
            let offices = try OfficeDirectory(db: db).all()
            return try db.rows(sql: "SELECT state FROM _sync_records WHERE conflicts > 0 ORDER BY seq")
                .flatMap { Conflict.conflicts(in: try StateTable.decode($0["state"]), offices: offices) }
                .filter { conflict in quartiers.map { Quartier.scope($0, covers: conflict.quartier) } ?? true }
        }
    }

    /// The open conflict `id` of a record in `quartiers` (any with nil), or a `not-found` error.
    public func conflict(id: String, within quartiers: [String]?) async throws -> Conflict {
        try await read { db in
            let conflict = try Self.openConflict(db, id).conflict
            if let quartiers, !Quartier.scope(quartiers, covers: conflict.quartier) { throw Self.noConflict(id) }
            return conflict
        }
    }

    /// Settles an open conflict as this store's own write: what a server does for an admin who
    /// holds no replica of the data. The new state (a write of this store's replica id whose
    /// context covers every competing version) and the audit entry enter the store's feed like
    /// any pushed change and reach the offices on their next pull. With `quartiers`, only a
    /// conflict of a record in that scope is found.
    @discardableResult
    public func resolve(
        _ conflictID: String, _ decision: ConflictDecision, reason: String, by decider: String,
        within quartiers: [String]? = nil
    ) async throws -> Resolution {
        let reason = try Resolution.checkedReason(reason)
        return try await write { db in
            let (conflict, state) = try Self.openConflict(db, conflictID)
            if let quartiers, !Quartier.scope(quartiers, covers: conflict.quartier) {
                throw Self.noConflict(conflictID)
            }
            let (settled, audit, entry) = try Self.settle(
                conflict, in: state, decision, reason: reason, by: decider, tick: { try self.tick(db) })
            let batch = ChangeBatch(
                records: [settled, audit], offices: [self.id: self.name], cursor: 0, hasMore: false)
            _ = try self.merge(db, batch, .downstream(acknowledging: nil))
            return entry
        }
    }

    /// The states that settle `conflict` of the record in `state` as a store's own write: the
    /// record's new state (its context covers every competing version) and the audit entry,
    /// each written under a dot from `tick`. Pure but for `tick`: what every server store runs.
    package static func settle(
        _ conflict: Conflict, in state: RecordState, _ decision: ConflictDecision, reason: String,
        by decider: String, tick: () throws -> (Dot, HybridTimestamp)
    ) throws -> (settled: RecordState, audit: RecordState, entry: Resolution) {
        var settled = state
        let (dot, time) = try tick()
        switch try decision.write(for: conflict, shown: state.visibleRecord) {
        case .fields(let values):
            let changes = try RecordValidator(table: conflict.table).validate(values, isInsert: false)
            var row = state.visibleRecord
            var mask: Int64 = 0
            for index in conflict.table.fields.indices where changes.isGiven(index + 1) {
                row[column: index + 1] = changes[column: index + 1]
                mask |= 1 << Int64(index)
            }
            settled.write(dot: dot, time: time, exists: true, mask: mask, row: row)
        case .exists: settled.write(dot: dot, time: time, exists: true, mask: 0, row: nil)
        case .delete: settled.write(dot: dot, time: time, exists: false, mask: 0, row: nil)
        }
        settled.updatedAt = max(settled.updatedAt ?? "", iso(time))
        let entry = Resolution(
            id: RecordID.timeOrdered(milliseconds: time.milliseconds), conflict: conflict,
            route: state.route ?? "*", decision: decision, office: decider, reason: reason,
            resolvedAt: iso(time))
        let (entryDot, entryTime) = try tick()
        var audit = RecordState(table: .resolutions, id: entry.id)
        audit.write(
            dot: entryDot, time: entryTime, exists: true, mask: SyncTable.resolutions.allFieldsMask,
            row: entry.record)
        audit.updatedAt = entry.resolvedAt
        return (settled, audit, entry)
    }

    /// The next dot and hybrid time of this store's own writes.
    package func tick(_ db: Database) throws -> (Dot, HybridTimestamp) {
        try db.run(
            sql: """
                UPDATE _sync_clock SET counter = counter + 1,
                    hlc_logical = CASE WHEN \(StoreSchema.nowMilliseconds) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
                    hlc_ms = max(hlc_ms, \(StoreSchema.nowMilliseconds))
                WHERE id = 1
                """)
        let row = try db.row(sql: "SELECT counter, hlc_ms, hlc_logical FROM _sync_clock WHERE id = 1")!
        return (
            Dot(replica: id, counter: UInt64(clamping: row[0] as Int64)),
            HybridTimestamp(milliseconds: row[1], logical: UInt32(clamping: row[2] as Int64))
        )
    }

    /// ISO 8601 text with milliseconds, as the tables keep times.
    package static func iso(_ time: HybridTimestamp) -> String {
        Date(timeIntervalSince1970: Double(time.milliseconds) / 1000)
            .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The open conflict `id` and the state it is in. An office folds its edits first.
    package static func openConflict(_ db: Database, _ id: String) throws -> (conflict: Conflict, state: RecordState) {
        let states = try db.rows(sql: "SELECT state FROM _sync_records WHERE conflicts > 0").map {
            try StateTable.decode($0["state"])
        }
        return try openConflict(id, among: states, offices: try OfficeDirectory(db: db).all())
    }

    /// The open conflict `id` among the states of records with conflicts, or a `not-found` error.
    package static func openConflict(
        _ id: String, among states: some Sequence<RecordState>, offices: [ReplicaID: String]
    ) throws -> (conflict: Conflict, state: RecordState) {
        for state in states {
            if let conflict = Conflict.conflicts(in: state, offices: offices).first(where: { $0.id == id }) {
                return (conflict, state)
            }
        }
        throw noConflict(id)
    }

    package static func noConflict(_ id: String) -> SyncError {
        SyncError(
            .notFound, "no open conflict \(id) here: it may be settled already, or not yet synced here",
            field: "conflict")
    }
}
