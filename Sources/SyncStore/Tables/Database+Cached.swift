import GRDB
import SyncKernel

/// Statements through GRDB's statement cache: SQLite compiles each distinct SQL text once per
/// connection instead of once per call (compiling a statement that fires the capture triggers
/// costs more than running it).
extension Database {
    package func rows(sql: String, arguments: StatementArguments = []) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    package func row(sql: String, arguments: StatementArguments = []) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    package func value<T: DatabaseValueConvertible & StatementColumnConvertible>(
        _ type: T.Type, sql: String, arguments: StatementArguments = []
    ) throws -> T? {
        try T.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    package func run(sql: String, arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
