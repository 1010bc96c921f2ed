import GRDB
import GRDBSQLite
import SyncKernel

/// A cached statement bound and stepped through SQLite's C API, for the paths that write many
/// rows in a loop (import, fold, apply).
///
/// GRDB's `StatementArguments` box every value as `DatabaseValueConvertible` and allocate per
/// value; in the benchmark's profile that cost more than SQLite's own work. Here text and blobs
/// are gathered into one reused buffer and bound without copies (`SQLITE_STATIC`) just before
/// the statement runs. The statement stays GRDB's (cached per connection, finalised by GRDB)
/// and must only run inside a transaction GRDB opened.
///
/// The binds are `@inlinable`: SyncCore's import and apply paths call them once per value from
/// another module, and a call that cannot be inlined (a generic one especially) cost those
/// paths several per cent.
package final class BulkStatement {
    @usableFromInline let handle: SQLiteStatement
    private let db: Database
    @usableFromInline var buffer: [UInt8] = []
    @usableFromInline var pending: [(index: Int32, offset: Int, length: Int, isBlob: Bool)] = []

    package init(_ db: Database, sql: String) throws {
        self.db = db
        handle = try db.cachedStatement(sql: sql).sqliteStatement
        buffer.reserveCapacity(4096)
    }

    /// Rows written by one statement on the bulk paths. Each run of a statement has a fixed
    /// cost (among others its statement journal copies every page it touches), which a row
    /// alone would pay in full.
    package static let rowsPerStatement = 64

    /// How the bulk paths split `count` rows: statements of `rowsPerStatement` rows, then the
    /// rest one row at a time (so each path prepares at most two statements).
    package static func chunks(_ count: Int) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var start = 0
        while start < count {
            let rows = count - start >= rowsPerStatement ? rowsPerStatement : 1
            chunks.append(start..<(start + rows))
            start += rows
        }
        return chunks
    }

    /// `(?, ?, ?), (?, ?, ?)` for `rows` rows of `columns` values.
    package static func valueRows(columns: Int, rows: Int) -> String {
        let row = "(\(databaseQuestionMarks(count: columns)))"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// Binds `text` (or NULL) to the 1-based parameter `index`.
    @inlinable
    package func bind(_ index: Int32, _ text: String?) {
        guard let text else {
            sqlite3_bind_null(handle, index)
            return
        }
        let offset = buffer.count
        buffer.append(contentsOf: text.utf8)
        pending.append((index, offset, buffer.count - offset, false))
    }

    @inlinable
    package func bind(_ index: Int32, _ integer: Int64) {
        sqlite3_bind_int64(handle, index, integer)
    }

    @inlinable
    package func bind(_ index: Int32, _ integer: Int64?) {
        guard let integer else {
            sqlite3_bind_null(handle, index)
            return
        }
        sqlite3_bind_int64(handle, index, integer)
    }

    @inlinable
    package func bind(_ index: Int32, blob bytes: some Collection<UInt8>) {
        let offset = buffer.count
        buffer.append(contentsOf: bytes)
        pending.append((index, offset, bytes.count, true))
    }

    /// Runs the statement to completion and resets it for the next row.
    package func execute() throws {
        let failure = buffer.withUnsafeBufferPointer { memory -> DatabaseError? in
            let base = UnsafeRawPointer(memory.baseAddress)
            for binding in pending {
                // An empty value still needs a non-null pointer, or SQLite binds NULL.
                let pointer = base.map { $0 + binding.offset } ?? UnsafeRawPointer(bitPattern: 1)!
                if binding.isBlob {
                    sqlite3_bind_blob(handle, binding.index, pointer, Int32(binding.length), nil)
                } else {
                    sqlite3_bind_text(
                        handle, binding.index, pointer.assumingMemoryBound(to: CChar.self), Int32(binding.length), nil)
                }
            }
            let code = sqlite3_step(handle)
            var failure: DatabaseError?
            if code != SQLITE_DONE && code != SQLITE_ROW {
                failure = DatabaseError(
                    resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                    sql: String(cString: sqlite3_sql(handle)))
            }
            // Nothing may point into the buffer once it can move again.
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            return failure
        }
        buffer.removeAll(keepingCapacity: true)
        pending.removeAll(keepingCapacity: true)
        if let failure { throw failure }
    }
}
