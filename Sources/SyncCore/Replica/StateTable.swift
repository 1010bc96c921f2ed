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
        sequence = try Int64.fetchOne(db, sql: "SELECT store_seq FROM _sync_state WHERE id = 1") ?? 0
    }

    /// The stored states of `keys`, in one query per table and chunk.
    func load(_ keys: some Collection<RecordKey>) throws -> [RecordKey: RecordState] {
        var states: [RecordKey: RecordState] = [:]
        for table in SyncTable.allCases {
            let ids = keys.filter { $0.table == table }.map(\.id)
            for chunk in ids.chunked(500) {
                let marks = databaseQuestionMarks(count: chunk.count)
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT state FROM _sync_records WHERE tbl = ? AND id IN (\(marks))",
                    arguments: StatementArguments([table.rawValue] + chunk))
                while let row = try rows.next() {
                    let state = try Self.decode(row["state"])
                    states[state.key] = state
                }
            }
        }
        return states
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
        try db.execute(sql: "UPDATE _sync_state SET store_seq = ? WHERE id = 1", arguments: [sequence])
    }

    static func decode(_ data: Data?) throws -> RecordState {
        guard let data else { throw SyncError(.corruptData, "a stored record state is empty: restore the replica from a backup") }
        do {
            return try RecordState(encoded: [UInt8](data))
        } catch {
            throw SyncError(.corruptData, "a stored record state cannot be decoded: restore the replica from a backup", cause: error)
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
