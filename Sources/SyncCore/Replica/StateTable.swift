import Foundation
import GRDB

/// Reads and writes record states in `_sync_records`, batch by batch.
///
/// Every write takes the store's next sequence number, which orders the changes feed
/// (``Replica/changes(since:limit:)``): a record appears there once, at its latest change.
struct StateTable {
    let db: Database
    private(set) var sequence: Int64

    init(_ db: Database) throws {
        self.db = db
        sequence = try db.value(Int64.self, sql: "SELECT store_seq FROM _sync_state WHERE id = 1") ?? 0
    }

    /// The stored states of `keys`: one query per table, whatever the number of keys (the ids
    /// travel as one JSON array, so the statement is compiled once and cached).
    func load(_ keys: some Collection<RecordKey>) throws -> [RecordKey: RecordState] {
        var states: [RecordKey: RecordState] = [:]
        for table in SyncTable.allCases {
            let ids = keys.filter { $0.table == table }.map(\.id)
            guard !ids.isEmpty else { continue }
            let statement = try db.cachedStatement(
                sql: "SELECT r.state FROM json_each(?) j CROSS JOIN _sync_records r ON r.tbl = ? AND r.id = j.value")
            let rows = try Row.fetchCursor(statement, arguments: [Self.jsonArray(ids), table.rawValue])
            while let row = try rows.next() {
                let state = try Self.decode(row[0])
                states[state.key] = state
            }
        }
        return states
    }

    /// A JSON array of strings, for `json_each`.
    static func jsonArray(_ strings: [String]) -> String {
        var json = "["
        for (index, string) in strings.enumerated() {
            if index > 0 { json += "," }
            json += "\""
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case _ where scalar.value < 0x20: json += String(format: "\\u%04x", scalar.value)
                default: json.unicodeScalars.append(scalar)
                }
            }
            json += "\""
        }
        return json + "]"
    }

    /// Stores `state` under the next sequence number.
    mutating func save(_ state: RecordState) throws {
        sequence += 1
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO _sync_records (tbl, id, seq, quartier, visible, conflicts, state)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (tbl, id) DO UPDATE SET seq = excluded.seq, quartier = excluded.quartier,
                    visible = excluded.visible, conflicts = excluded.conflicts, state = excluded.state
                """)
        let quartier = state.fields["quartier"]?.provisionalWinner()?.value.text
        try statement.execute(arguments: [
            state.table.rawValue, state.id, sequence, quartier, state.isVisible,
            state.openConflictCount, Data(state.encoded()),
        ])
    }

    /// Writes the sequence back; call once before the transaction ends.
    func finish() throws {
        try db.run(sql: "UPDATE _sync_state SET store_seq = ? WHERE id = 1", arguments: [sequence])
    }

    static func decode(_ data: Data?) throws -> RecordState {
        guard let data else {
            throw SyncError(.corruptData, "a stored record state is empty: restore the replica from a backup")
        }
        do {
            return try RecordState(encoded: [UInt8](data))
        } catch {
            throw SyncError(
                .corruptData, "a stored record state cannot be decoded: restore the replica from a backup", cause: error
            )
        }
    }
}
