import GRDB
import SyncKernel
import SyncStore

/// Folding: turning captured log entries into record states.
///
/// The triggers only append to `_sync_log` (cheap, and possible with built-in SQL). Before the
/// replica reads or merges states, it folds the entries not yet folded: each entry's dot
/// becomes the dot of the fields its statement changed, taking their current values from the
/// table. Folding happens in the same write transaction as whatever needs the states, so no
/// remote change can slip between an edit and its fold.
extension Replica {
    /// Folds every captured edit not yet folded. Must run inside a write transaction.
    func fold(_ db: Database) throws {
        let folded = try db.value(Int64.self, sql: "SELECT folded_seq FROM _sync_state WHERE id = 1") ?? 0
        let entries = try db.rows(
            sql: """
                SELECT seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route FROM _sync_log
                WHERE seq > ? AND op != 'relay' ORDER BY seq
                """, arguments: [folded])
        guard let last = entries.last else { return }
        // Columns by position: a lookup by name searches (and lowercases) the row's columns.
        let keys = entries.map { RecordKey(SyncTable(rawValue: $0[1])!, $0[2]) }
        var unique: [RecordKey] = []
        var seen = Set<RecordKey>()
        unique.reserveCapacity(keys.count)
        for key in keys where seen.insert(key).inserted { unique.append(key) }
        // A record whose last change the server refused: its values then are no ancestor.
        let refused = try Self.refusedKeys(db)
        var table = try StateTable(db)
        var states = try table.load(unique)
        let rows = try currentRows(db, unique)
        for (entry, key) in zip(entries, keys) {
            let op: String = entry[3]
            let dot = Dot(replica: id, counter: UInt64(clamping: entry[0] as Int64))
            let time = HybridTimestamp(milliseconds: entry[4], logical: UInt32(clamping: entry[5] as Int64))
            var state = states.removeValue(forKey: key) ?? RecordState(table: key.table, id: key.id)
            let mask: Int64 = entry[6]
            var row = rows[key]
            // The route this write left the record in comes from the entry itself: the row
            // may be gone (inserted and deleted before this fold) or moved on since.
            if mask & Self.routingBit != 0, let route = entry[7] as String?,
                row?[column: Self.routingColumn] != route
            {
                var values = row ?? RecordValues(key.table)
                values[column: Self.routingColumn] = route
                row = values
            }
            if op == "erase" {
                state.erase(dot: dot, time: time)
                states[key] = state
                continue
            }
            state.write(
                dot: dot, time: time, exists: op != "delete", mask: mask, row: row,
                keepsReplaced: refused.isEmpty || !refused.contains(key))
            if let updatedAt = row?[column: key.table.columns.count - 1] {
                state.updatedAt = max(state.updatedAt ?? "", updatedAt)
            }
            states[key] = state
        }
        try table.save(unique.map { StateTable.Entry(state: states[$0]!) })
        try table.finish()
        // A row written over an erased record's id (by another tool, say) is no record: the
        // erasure absorbed the write, and the row goes.
        let revived = unique.filter { states[$0]!.isErased && rows[$0] != nil }
        if !revived.isEmpty {
            try db.run(sql: "UPDATE _sync_clock SET applying = 1 WHERE id = 1")
            for key in revived {
                try db.run(sql: "DELETE FROM \(key.table.rawValue) WHERE id = ?", arguments: [key.id])
            }
            try db.run(sql: "UPDATE _sync_clock SET applying = 0 WHERE id = 1")
        }
        try db.run(sql: "UPDATE _sync_state SET folded_seq = ? WHERE id = 1", arguments: [last[0] as Int64])
    }

    /// The mask bit of the routing field in a change-log entry.
    static let routingBit: Int64 = 1 << Int64(RecordState.routingFieldIndex)
    /// The routing field's column in a table row (the id comes first).
    static let routingColumn = RecordState.routingFieldIndex + 1

    /// The current table rows of `keys` (absent when deleted).
    func currentRows(_ db: Database, _ keys: [RecordKey]) throws -> [RecordKey: RecordValues] {
        var rows: [RecordKey: RecordValues] = [:]
        rows.reserveCapacity(keys.count)
        for table in SyncTable.allCases {
            let ids = keys.filter { $0.table == table }.map(\.id)
            guard !ids.isEmpty else { continue }
            let columns = table.columns
            let statement = try db.cachedStatement(
                sql: """
                    SELECT \(columns.map { "t.\($0)" }.joined(separator: ", "))
                    FROM json_each(?) j CROSS JOIN \(table.rawValue) t ON t.id = j.value
                    """)
            let cursor = try Row.fetchCursor(statement, arguments: [StateTable.jsonArray(ids)])
            while let row = try cursor.next() {
                let record = Self.record(table, row)
                rows[RecordKey(table, record.id!)] = record
            }
        }
        return rows
    }
}
