import GRDB
import SyncKernel

/// An update whose named fields are captured even where their value does not change.
///
/// The capture triggers record only the columns an UPDATE changed, which is right for edits
/// from any client but not for a decision: keeping the value a table already shows must still
/// be a new write, one that covers every competing version of the field and so settles the
/// conflict everywhere it arrives. Must run inside a write transaction, after validation.
struct ForcedWrite {
    let db: Database
    let table: SyncTable

    /// Sets the given columns of record `id` and makes sure its change-log entry names every
    /// field of `forced` (a mask as in `_sync_log`; 0 with no given columns: the record is
    /// written as existing, nothing else). Returns whether an entry was captured.
    @discardableResult
    func update(_ id: String, _ changes: RecordValues, forced: Int64) throws -> Bool {
        let before = try counter()
        let columns = table.columns.indices.filter(changes.isGiven)
        if !columns.isEmpty {
            try db.run(
                sql:
                    "UPDATE \(table.rawValue) SET \(columns.map { "\(table.columns[$0]) = ?" }.joined(separator: ", ")) WHERE id = ?",
                arguments: StatementArguments(columns.map { changes[column: $0] } + [id]))
        }
        let after = try counter()
        if after > before {
            // The trigger captured the fields that changed: add the ones that did not.
            if forced != 0 {
                try db.run(sql: "UPDATE _sync_log SET mask = mask | ? WHERE seq = ?", arguments: [forced, after])
            }
            return true
        }
        guard forced != 0 || columns.isEmpty else { return false }
        try db.execute(
            sql: ReplicaSchema.captureSQL(
                table: table, op: "update", row: "?1", mask: String(forced),
                route: "(SELECT \(RecordState.routingField) FROM \(table.rawValue) WHERE id = ?1)"),
            arguments: [id])
        // No field changed, so the trigger left `updated_at` alone; this write is an edit too.
        // (Only `updated_at` changes here: the capture trigger's mask is 0 and it stays quiet.)
        try db.run(
            sql: "UPDATE \(table.rawValue) SET updated_at = \(ReplicaSchema.nowISO) WHERE id = ?", arguments: [id])
        return true
    }

    private func counter() throws -> Int64 {
        try db.value(Int64.self, sql: "SELECT counter FROM _sync_clock WHERE id = 1") ?? 0
    }
}
