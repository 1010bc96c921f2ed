import GRDB
import SyncKernel
import SyncStore

/// Writes the provisional view of record states into their tables: what users and other
/// SQLite clients see. Runs while the capture triggers stand aside (`applying`), inside the
/// transaction that stores the states.
struct VisibleRows {
    let db: Database
    private var upserts: [Int: BulkStatement] = [:]

    init(db: Database) {
        self.db = db
    }

    /// Inserts or replaces the rows of visible records; deletes the rows of those that are not.
    mutating func write(_ entries: [StateTable.Entry]) throws {
        for table in SyncTable.allCases {
            var visible: [Int] = []
            visible.reserveCapacity(entries.count)
            for index in entries.indices where entries[index].state.table == table {
                if entries[index].state.isVisible {
                    visible.append(index)
                } else {
                    try db.run(sql: "DELETE FROM \(table.rawValue) WHERE id = ?", arguments: [entries[index].state.id])
                }
            }
            try upsert(table, entries, visible)
        }
    }

    private mutating func upsert(_ table: SyncTable, _ entries: [StateTable.Entry], _ states: [Int]) throws {
        let columns = table.columns.count
        let required = table.fields.map { table.requiredFields.contains($0) }
        for chunk in BulkStatement.chunks(states.count) {
            let key = chunk.count * 4 + Int(table.code)
            let statement = try upserts[key] ?? BulkStatement(db, sql: Self.upsertSQL(table, rows: chunk.count))
            upserts[key] = statement
            // `entries[index].state` in place: a local copy would retain every field's siblings.
            for (row, index) in states[chunk].enumerated() {
                let first = Int32(row * columns)
                statement.bind(first + 1, entries[index].state.id)
                for offset in required.indices {
                    let value = entries[index].state.fields[index: offset].shown()?.value.text
                    // A value no store holds any more (erased by a delete, then revived by a
                    // concurrent edit) shows as empty text where the column requires one.
                    statement.bind(first + Int32(offset) + 2, value ?? (required[offset] ? "" : nil))
                }
                statement.bind(first + Int32(columns), entries[index].state.updatedAt ?? "")
            }
            try statement.execute()
        }
    }

    /// Insert the rows, or replace every column but `id`.
    private static func upsertSQL(_ table: SyncTable, rows: Int) -> String {
        let columns = table.columns
        return """
            INSERT INTO \(table.rawValue) (\(columns.joined(separator: ", ")))
            VALUES \(BulkStatement.valueRows(columns: columns.count, rows: rows))
            ON CONFLICT (id) DO UPDATE SET \(columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            """
    }
}
