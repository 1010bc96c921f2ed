import GRDB
import SyncKernel
import SyncStore

/// SyncCore's own inserts: the rows and their change-log entries written in one pass.
///
/// Writes from other clients are captured by the triggers (one clock update and one log entry
/// per row, about 7 µs a row in SQLite alone). SyncCore's inserts write the very same log
/// entries themselves, with the triggers standing aside (`applying`): one clock update for
/// the whole batch reserves the counters and hybrid times the triggers would have taken one
/// by one, then each row costs one insert into its table and one append to `_sync_log`.
/// Must run inside a write transaction, after validation.
struct InsertCapture {
    let db: Database
    let table: SyncTable

    /// Inserts `records` (validated) and returns their ids in order.
    func insert(_ records: [RecordValues]) throws -> [String] {
        guard !records.isEmpty else { return [] }
        guard
            let clock = try db.row(
                sql: """
                    SELECT counter, hlc_ms, hlc_logical, \(ReplicaSchema.nowMilliseconds), \(ReplicaSchema.nowISO)
                    FROM _sync_clock WHERE id = 1
                    """)
        else { throw SyncError(.corruptData, "the replica has no clock row: restore it from a backup") }
        let counter: Int64 = clock[0]
        let lastMilliseconds: Int64 = clock[1]
        let lastLogical: Int64 = clock[2]
        let now: Int64 = clock[3]
        let nowText: String = clock[4]
        // What n firings of the capture trigger within one millisecond would give.
        let milliseconds = max(lastMilliseconds, now)
        let firstLogical = now > lastMilliseconds ? 0 : lastLogical + 1
        try db.run(sql: "UPDATE _sync_clock SET applying = 1 WHERE id = 1")

        let columns = table.columns
        let defaults = columns.map { Self.defaultValue($0, now: nowText) }
        let ids = records.map { $0.id ?? RecordID.timeOrdered(milliseconds: now) }
        // Many rows per statement (see BulkStatement.rowsPerStatement).
        var statements: [Int: (rows: BulkStatement, log: BulkStatement)] = [:]
        for chunk in BulkStatement.chunks(records.count) {
            if statements[chunk.count] == nil {
                statements[chunk.count] = (
                    try BulkStatement(db, sql: Self.insertSQL(table, columns, rows: chunk.count)),
                    try BulkStatement(db, sql: Self.logSQL(table, rows: chunk.count))
                )
            }
            let (rows, log) = statements[chunk.count]!
            for (row, offset) in chunk.enumerated() {
                let first = Int32(row * columns.count)
                rows.bind(first + 1, ids[offset])
                for index in 1..<columns.count {
                    rows.bind(first + Int32(index) + 1, records[offset][column: index] ?? defaults[index])
                }
                let entry = Int32(row * 5)
                log.bind(entry + 1, counter + 1 + Int64(offset))
                log.bind(entry + 2, ids[offset])
                log.bind(entry + 3, milliseconds)
                log.bind(entry + 4, firstLogical + Int64(offset))
                log.bind(entry + 5, records[offset][column: 1])
            }
            do {
                try rows.execute()
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw try duplicate(ids[chunk])
            }
            try log.execute()
        }
        try db.run(
            sql: "UPDATE _sync_clock SET applying = 0, counter = ?, hlc_ms = ?, hlc_logical = ? WHERE id = 1",
            arguments: [counter + Int64(records.count), milliseconds, firstLogical + Int64(records.count) - 1])
        return ids
    }

    private static func insertSQL(_ table: SyncTable, _ columns: [String], rows: Int) -> String {
        "INSERT INTO \(table.rawValue) (\(columns.joined(separator: ", "))) VALUES "
            + BulkStatement.valueRows(columns: columns.count, rows: rows)
    }

    private static func logSQL(_ table: SyncTable, rows: Int) -> String {
        let row = "(?, '\(table.rawValue)', ?, 'insert', ?, ?, \(table.allFieldsMask), ?)"
        return "INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route) VALUES "
            + Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// The error for a statement that hit an existing id: names the first id of `ids` that
    /// the table holds already or that appears twice among them.
    private func duplicate(_ ids: ArraySlice<String>) throws -> SyncError {
        var seen = Set<String>()
        for id in ids {
            let exists =
                try db.value(
                    Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM \(table.rawValue) WHERE id = ?)", arguments: [id])
                ?? false
            if exists || !seen.insert(id).inserted {
                return SyncError(
                    .invalidInput, "a \(table.singular) with that id exists already: leave the id out to get a new one",
                    field: "id")
            }
        }
        return SyncError(.invalidInput, "a \(table.singular) id exists already: leave the ids out to get new ones")
    }

    /// The column defaults of the schema (see ``ReplicaSchema/dataTables``) for a column the
    /// caller left out; `nil` where the schema has none.
    private static func defaultValue(_ column: String, now: String) -> String? {
        switch column {
        case "created_at", "updated_at": now
        case "status": ActivityStatus.planned.rawValue
        default: nil
        }
    }
}
