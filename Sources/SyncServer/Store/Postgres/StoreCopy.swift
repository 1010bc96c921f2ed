import Foundation
import GRDB
import Logging
import NIOCore
import PostgresNIO
import SyncKernel
import SyncStore

/// Moves a deployment's store from its SQLite file into an empty PostgreSQL database, row by
/// row: the store's identity, every record state at its feed position, routes, knowledge,
/// acknowledgements, offices with their token hashes, admins, activity, erasure proofs and
/// retention rules. Offices therefore keep their tokens and cursors: the store id they keep
/// their cursor for is the same, so their next sync neither downloads everything again nor
/// misses anything (`sync-server store copy`, docs/operations.md).
public enum StoreCopy {
    /// What a copy moved.
    public struct Report: Sendable, Encodable {
        /// Rows per table.
        public var rows: [String: Int]
        /// The store id the offices know (unchanged).
        public var storeID: String
    }

    /// The tables and columns copied, in an order that keeps every reference valid.
    static let tables: [(name: String, columns: [String])] = [
        ("_sync_state", ["id", "replica_id", "office", "store_seq", "created_at"]),
        ("_sync_clock", ["id", "counter", "hlc_ms", "hlc_logical"]),
        ("_sync_records", ["tbl", "id", "seq", "quartier", "visible", "conflicts", "state", "moved"]),
        ("_sync_routes", ["tbl", "id", "quartier", "announced"]),
        ("_sync_replicas", ["replica_id", "office"]),
        ("_sync_knowledge", ["replica_id", "counter"]),
        ("_sync_acks", ["replica_id", "position"]),
        ("_server_offices", ["name", "quartiers", "token_hash", "created_at", "revoked_at"]),
        (
            "_server_pushes",
            ["office", "key", "received", "stored", "already_known", "at", "conflicts", "refused"]
        ),
        ("_server_recovery", ["id", "epoch", "reported_by", "reported_at"]),
        ("_server_admins", ["name", "token_hash", "created_at", "revoked_at"]),
        (
            "_server_activity",
            ["office", "last_seen_at", "last_result", "pulled_to", "holds_to", "recovery_reported_at"]
        ),
        ("_server_replicas", ["replica_id", "office", "bound_at"]),
        ("_server_restore", ["id", "backup_taken_at", "serving_since", "relays_until"]),
        ("_server_erasure_confirmations", ["order_id", "office", "confirmed_at"]),
        ("_server_retention", ["id", "rules"]),
    ]

    /// Rows per statement (well under PostgreSQL's 65,535 parameters).
    static let rowsPerStatement = 1000

    /// Copies the SQLite store at `path` into the PostgreSQL database at `settings`, which is
    /// migrated first and must hold no records, offices or admins yet. One transaction: a
    /// failed copy leaves the database as it was.
    public static func copy(from path: String, to settings: PostgresSettings, logger: Logger) async throws -> Report {
        // Opening migrates an older file to this release's tables first.
        let source = try SQLiteServerStore(path: path, logger: logger)
        let reader = source.states.reader
        let target = try await PostgresServerStore.open(settings, migration: .apply, logger: logger)
        var rows: [String: Int] = [:]
        try await PostgresServerStore.running(target.client) { client in
            try await PostgresServerStore.mapped(settings) {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        "SELECT pg_advisory_xact_lock(\(PostgresWrite.feedLock))", logger: logger)
                    let used =
                        try await connection.query(
                            """
                            SELECT (SELECT count(*) FROM _sync_records) + (SELECT count(*) FROM _server_offices)
                                + (SELECT count(*) FROM _server_admins)
                            """, logger: logger
                        ).collect().first?.decode(Int64.self) ?? 0
                    guard used == 0 else {
                        throw SyncError(
                            .invalidInput,
                            "the PostgreSQL store at \(settings.description) holds records, offices or admins already: "
                                + "copy into a new, empty database (docs/operations.md, 'Moving to PostgreSQL')",
                            field: "to")
                    }
                    // The new database's own identity and counters give way to the copied ones.
                    for table in ["_sync_state", "_sync_clock", "_sync_replicas", "_server_recovery"] {
                        try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table)"), logger: logger)
                    }
                    for (table, columns) in tables {
                        rows[table] = try await copy(table, columns, from: reader, to: connection, logger: logger)
                    }
                }
            }
        }
        return Report(rows: rows, storeID: source.storeID)
    }

    /// Copies one table in pages of ``rowsPerStatement`` rows; returns how many.
    private static func copy(
        _ table: String, _ columns: [String], from reader: any DatabaseReader, to connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        let exists = try await reader.read { db in try db.tableExists(table) }
        guard exists else { return 0 }
        let list = columns.joined(separator: ", ")
        // A stable order for paging: the feed's for states, every column otherwise (small tables).
        let order = table == "_sync_records" ? "seq" : list
        var offset = 0
        while true {
            let skip = offset
            let page = try await reader.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT \(list) FROM \(table) ORDER BY \(order) LIMIT ? OFFSET ?",
                    arguments: [rowsPerStatement, skip]
                ).map { row in columns.indices.map { row[$0] as DatabaseValue } }
            }
            guard !page.isEmpty else { return offset }
            var binds = PostgresBindings(capacity: page.count * columns.count)
            var values: [String] = []
            for row in page {
                let first = binds.count
                for value in row {
                    switch value.storage {
                    case .null: binds.appendNull()
                    case .int64(let number): binds.append(number)
                    case .double(let number): binds.append(number)
                    case .string(let text): binds.append(text)
                    case .blob(let data): binds.append(ByteBuffer(bytes: data))
                    }
                }
                values.append("(" + (1...row.count).map { "$\(first + $0)" }.joined(separator: ", ") + ")")
            }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(table) (\(list)) VALUES \(values.joined(separator: ", "))", binds: binds),
                logger: logger)
            offset += page.count
        }
    }
}
