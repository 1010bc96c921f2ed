import Foundation
import GRDB
import SyncKernel
import SyncStore

/// The conflict desk: find a conflict, settle it with a reason, read the audit trail.
///
/// A settlement is an ordinary local write — captured, pushed and pulled like any edit — whose
/// context covers every competing version, plus an entry in ``SyncTable/resolutions`` in the
/// same transaction. Every replica it reaches closes the conflict and shows the entry,
/// including offices that only watched.
extension Replica {
    /// The open conflict with this id (as ``conflicts()`` lists it), or a `not-found` error.
    public func conflict(id: String) throws -> Conflict {
        try write { db in
            try fold(db)
            return try StateStore.openConflict(db, id).conflict
        }
    }

    /// Settles an open conflict: writes what `decision` says and records who decided, when and
    /// why. Returns the audit entry.
    @discardableResult
    public func resolve(_ conflictID: String, _ decision: ConflictDecision, reason: String) throws -> Resolution {
        let reason = try Resolution.checkedReason(reason)
        return try write { db in
            try fold(db)
            let (conflict, state) = try StateStore.openConflict(db, conflictID)
            let table = conflict.table
            switch try decision.write(for: conflict, shown: state.visibleRecord) {
            case .fields(let values):
                let changes = try RecordValidator(table: table).validate(values, isInsert: false)
                try checkReferences(db, changes)
                var forced: Int64 = 0
                for (index, _) in table.fields.enumerated() where changes.isGiven(index + 1) {
                    forced |= 1 << Int64(index)
                }
                try ForcedWrite(db: db, table: table).update(conflict.recordID, changes, forced: forced)
            case .exists:
                try ForcedWrite(db: db, table: table).update(conflict.recordID, RecordValues(table), forced: 0)
            case .delete:
                try db.run(sql: "DELETE FROM \(table.rawValue) WHERE id = ?", arguments: [conflict.recordID])
            }
            return try record(db, [conflict], in: state, decision: decision, reason: reason)[0]
        }
    }

    /// The audit trail: every settled conflict this replica has heard of, oldest first.
    public func resolutions() throws -> [Resolution] {
        try records(.resolutions).compactMap(Resolution.init)
    }

    /// Writes the audit entries for settling `conflicts` of the record `state` holds.
    func record(
        _ db: Database, _ conflicts: [Conflict], in state: RecordState, decision: ConflictDecision, reason: String
    ) throws -> [Resolution] {
        let now = try db.value(String.self, sql: "SELECT \(ReplicaSchema.nowISO)")!
        let milliseconds = try db.value(Int64.self, sql: "SELECT \(ReplicaSchema.nowMilliseconds)")!
        let entries = conflicts.map {
            Resolution(
                id: RecordID.timeOrdered(milliseconds: milliseconds), conflict: $0, route: state.route ?? "*",
                decision: decision, office: office, reason: reason, resolvedAt: now)
        }
        _ = try InsertCapture(db: db, table: .resolutions).insert(entries.map(\.record))
        return entries
    }
}
