import GRDB
import SyncKernel

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
                SELECT seq, tbl, row_id, op, hlc_ms, hlc_logical, mask FROM _sync_log
                WHERE seq > ? AND op != 'relay' ORDER BY seq
                """, arguments: [folded])
        guard let last = entries.last else { return }
        var keys: [RecordKey] = []
        var seen = Set<RecordKey>()
        for entry in entries {
            let key = RecordKey(SyncTable(rawValue: entry["tbl"])!, entry["row_id"])
            if seen.insert(key).inserted { keys.append(key) }
        }
        var table = try StateTable(db)
        var states = try table.load(keys)
        let rows = try currentRows(db, keys)
        for entry in entries {
            let key = RecordKey(SyncTable(rawValue: entry["tbl"])!, entry["row_id"])
            let op: String = entry["op"]
            let mask: Int64 = entry["mask"]
            let dot = Dot(replica: id, counter: UInt64(entry["seq"] as Int64))
            let time = HybridTimestamp(milliseconds: entry["hlc_ms"], logical: UInt32(entry["hlc_logical"] as Int64))
            let changed = key.table.fields.enumerated().filter { mask & (1 << Int64($0.offset)) != 0 }.map(\.element)
            var state = states[key] ?? RecordState(table: key.table, id: key.id)
            let row = rows[key]
            state.write(dot: dot, time: time, exists: op != "delete", changed: changed, values: row ?? [:])
            if let updatedAt = row?["updated_at"] ?? nil { state.updatedAt = max(state.updatedAt ?? "", updatedAt) }
            states[key] = state
        }
        try table.save(keys.map { StateTable.Entry(state: states[$0]!) })
        try table.finish()
        try db.run(sql: "UPDATE _sync_state SET folded_seq = ? WHERE id = 1", arguments: [last["seq"] as Int64])
    }

    /// The current table rows of `keys` (absent when deleted), as column → value.
    func currentRows(_ db: Database, _ keys: [RecordKey]) throws -> [RecordKey: [String: String?]] {
        var rows: [RecordKey: [String: String?]] = [:]
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
                var values: [String: String?] = [:]
                for (index, column) in columns.enumerated() { values[column] = row[index] as String? }
                rows[RecordKey(table, row[0])] = values
            }
        }
        return rows
    }
}
