import Foundation
import GRDBSQLite
import ProcessHarness
import SyncCore
import SyncKernel
import SyncRemote

/// The physical limit on this machine: the same rows written through SQLite's C API with one
/// prepared statement in one transaction (WAL, synchronous=NORMAL), no triggers, no sync state.
struct RawSQLiteBaseline {
    let path: String

    /// Rows per second for plain inserts, then for upserts of the same ids.
    func run(rows: [RecordValues]) throws -> (insert: Double, upsert: Double) {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK else {
            throw BenchError("cannot open \(path)")
        }
        defer { sqlite3_close_v2(db) }
        try exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        let columns = SyncTable.contacts.columns
        try exec(
            db,
            "CREATE TABLE contacts (\(columns.map { $0 == "id" ? "id TEXT PRIMARY KEY" : "\($0) TEXT" }.joined(separator: ", ")))"
        )
        let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        let insert = "INSERT INTO contacts (\(columns.joined(separator: ", "))) VALUES (\(marks))"
        let upsert =
            insert + " ON CONFLICT (id) DO UPDATE SET "
            + columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let values = rows.map { row in
            columns.map { column -> String? in
                if column == "created_at" || column == "updated_at" { return "2025-06-16T12:00:00.000Z" }
                return row[column]
            }
        }
        let insertRate = try timed(db, insert, values)
        let upsertRate = try timed(db, upsert, values)
        return (insertRate, upsertRate)
    }

    private func timed(_ db: OpaquePointer?, _ sql: String, _ rows: [[String?]]) throws -> Double {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { throw BenchError("prepare failed") }
        defer { sqlite3_finalize(statement) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let start = DispatchTime.now()
        try exec(db, "BEGIN")
        for row in rows {
            for (index, value) in row.enumerated() {
                if let value {
                    sqlite3_bind_text(statement, Int32(index + 1), value, -1, transient)
                } else {
                    sqlite3_bind_null(statement, Int32(index + 1))
                }
            }
            guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError("step failed") }
            sqlite3_reset(statement)
        }
        try exec(db, "COMMIT")
        return Double(rows.count) / Clock.seconds(since: start)
    }

    private func exec(_ db: OpaquePointer?, _ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum Clock {
    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
