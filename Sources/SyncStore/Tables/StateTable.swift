import Foundation
import GRDB
import SyncKernel

/// Reads and writes record states in `_sync_records`, batch by batch.
///
/// Every write takes the store's next sequence number, which orders the changes feed
/// (`Replica/changes(since:limit:)`): a record appears there once, at its latest change.
///
/// Sequence numbers follow the wall clock (``feedPosition(at:)``) and never go back within a
/// store. A store restored from an older backup therefore gives its next writes positions
/// above every position it handed out before the restore: a reader whose cursor lies past the
/// restored feed still receives them.
package struct StateTable {
    package let db: Database
    private(set) var sequence: Int64
    /// Whether any state was saved through this table.
    private var didSave = false
    private var upserts: [Int: BulkStatement] = [:]
    /// The largest counter per replica among the contexts saved through this table.
    private var knowledge: [ReplicaID: UInt64] = [:]

    package init(_ db: Database) throws {
        self.db = db
        let stored = try db.value(Int64.self, sql: "SELECT store_seq FROM _sync_state WHERE id = 1") ?? 0
        sequence = max(stored, Self.feedPosition(at: Date()))
    }

    /// The first feed position of a transaction at `date`: milliseconds since 1970 times 1024,
    /// so a store may write 1,024 states a millisecond before its positions run ahead of the
    /// clock (they then simply continue from the last one).
    package static func feedPosition(at date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970 * 1000) * 1024
    }

    /// The stored states of `keys`: one query per table, whatever the number of keys (the ids
    /// travel as one JSON array, so the statement is compiled once and cached).
    package func load(_ keys: some Collection<RecordKey>) throws -> [RecordKey: RecordState] {
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

    /// The Quartiere each of `keys` was routed to before it moved (records that never moved
    /// are absent); routes only announced by a push are not among them.
    package func formerRoutes(of keys: some Collection<RecordKey>) throws -> [RecordKey: Set<String>] {
        var routes: [RecordKey: Set<String>] = [:]
        for table in SyncTable.allCases {
            let ids = keys.filter { $0.table == table }.map(\.id)
            guard !ids.isEmpty else { continue }
            let statement = try db.cachedStatement(
                sql:
                    """
                    SELECT r.id, r.quartier FROM json_each(?) j CROSS JOIN _sync_routes r
                    ON r.tbl = ? AND r.id = j.value WHERE r.announced = 0
                    """
            )
            let rows = try Row.fetchCursor(statement, arguments: [Self.jsonArray(ids), table.rawValue])
            while let row = try rows.next() {
                routes[RecordKey(table, row[0]), default: []].insert(row[1])
            }
        }
        return routes
    }

    /// A JSON array of strings, for `json_each`. Built on bytes: ids are ASCII, and appending
    /// to a `String` scalar by scalar cost more than the query.
    package static func jsonArray(_ strings: [String]) -> String {
        var json: [UInt8] = [UInt8(ascii: "[")]
        json.reserveCapacity(strings.count * 40 + 2)
        let hex = Array("0123456789abcdef".utf8)
        for (index, string) in strings.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json.append(UInt8(ascii: "\""))
            for byte in string.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    json.append(UInt8(ascii: "\\"))
                    json.append(byte)
                case ..<0x20:
                    json.append(contentsOf: Array("\\u00".utf8))
                    json.append(hex[Int(byte >> 4)])
                    json.append(hex[Int(byte & 0x0F)])
                default:
                    json.append(byte)
                }
            }
            json.append(UInt8(ascii: "\""))
        }
        json.append(UInt8(ascii: "]"))
        return String(decoding: json, as: UTF8.self)
    }

    /// A state to store, with its binary form when the caller has it already (a state applied
    /// exactly as received).
    package struct Entry {
        package var state: RecordState
        package var encoded: ArraySlice<UInt8>?

        package init(state: RecordState, encoded: ArraySlice<UInt8>? = nil) {
            self.state = state
            self.encoded = encoded
        }
    }

    /// Stores `entries`, in order, each under the next sequence number; many rows per statement.
    package mutating func save(_ entries: [Entry]) throws {
        if !entries.isEmpty { didSave = true }
        for chunk in BulkStatement.chunks(entries.count) {
            let statement = try upserts[chunk.count] ?? BulkStatement(db, sql: Self.upsertSQL(rows: chunk.count))
            upserts[chunk.count] = statement
            // By index: binding from `entries[index]` in place copies no state (a copy would
            // retain every field's siblings).
            for (row, index) in chunk.enumerated() {
                let first = Int32(row * 7)
                sequence += 1
                for (replica, counter) in entries[index].state.context.counters
                where knowledge[replica, default: 0] < counter {
                    knowledge[replica] = counter
                }
                statement.bind(first + 1, entries[index].state.table.rawValue)
                statement.bind(first + 2, entries[index].state.id)
                statement.bind(first + 3, sequence)
                statement.bind(first + 4, entries[index].state.route)
                statement.bind(first + 5, entries[index].state.isVisible ? 1 : 0)
                statement.bind(first + 6, Int64(entries[index].state.openConflictCount))
                if let encoded = entries[index].encoded {
                    statement.bind(first + 7, blob: encoded)
                } else {
                    statement.bind(first + 7, blob: entries[index].state.encoded())
                }
            }
            try statement.execute()
        }
    }

    private static func upsertSQL(rows: Int) -> String {
        """
        INSERT INTO _sync_records (tbl, id, seq, quartier, visible, conflicts, state)
        VALUES \(BulkStatement.valueRows(columns: 7, rows: rows))
        ON CONFLICT (tbl, id) DO UPDATE SET seq = excluded.seq, quartier = excluded.quartier,
            visible = excluded.visible, conflicts = excluded.conflicts, state = excluded.state,
            moved = moved OR quartier IS NOT excluded.quartier
        """
    }

    /// Notes Quartiere a push said records were held in: their offices are sent the record's
    /// later states, as evictions. Only announced: such a route lets no office write the
    /// record (``formerRoutes(of:)`` leaves it out) until the record really leaves it here.
    package func remember(formerRoutes: [(key: RecordKey, route: String)]) throws {
        for (key, route) in formerRoutes {
            try db.run(
                sql: "INSERT OR IGNORE INTO _sync_routes (tbl, id, quartier, announced) VALUES (?, ?, ?, 1)",
                arguments: [key.table.rawValue, key.id, route])
            try db.run(
                sql: "UPDATE _sync_records SET moved = 1 WHERE tbl = ? AND id = ?",
                arguments: [key.table.rawValue, key.id])
        }
    }

    /// Removes the states of `keys` and their former routes: the records left this store.
    package func remove(_ keys: [RecordKey]) throws {
        for table in SyncTable.allCases {
            let ids = keys.filter { $0.table == table }.map(\.id)
            guard !ids.isEmpty else { continue }
            let json = Self.jsonArray(ids)
            for store in ["_sync_records", "_sync_routes"] {
                try db.run(
                    sql: "DELETE FROM \(store) WHERE tbl = ? AND id IN (SELECT value FROM json_each(?))",
                    arguments: [table.rawValue, json])
            }
        }
    }

    /// Writes the sequence and what the saved states taught about each replica back; call
    /// once before the transaction ends. The feed head moves only when a state was saved.
    package func finish() throws {
        if didSave {
            try db.run(sql: "UPDATE _sync_state SET store_seq = ? WHERE id = 1", arguments: [sequence])
        }
        for (replica, counter) in knowledge {
            try db.run(
                sql: """
                    INSERT INTO _sync_knowledge (replica_id, counter) VALUES (?, ?)
                    ON CONFLICT (replica_id) DO UPDATE SET counter = max(counter, excluded.counter)
                    """, arguments: [replica.rawValue, Int64(clamping: counter)])
        }
    }

    package static func decode(_ data: Data?) throws -> RecordState {
        try decode(bytes: data.map { [UInt8]($0) })
    }

    package static func decode(bytes: [UInt8]?) throws -> RecordState {
        guard let bytes else {
            throw SyncError(.corruptData, "a stored record state is empty: restore the replica from a backup")
        }
        do {
            return try RecordState(encoded: bytes)
        } catch {
            throw SyncError(
                .corruptData, "a stored record state cannot be decoded: restore the replica from a backup", cause: error
            )
        }
    }
}
