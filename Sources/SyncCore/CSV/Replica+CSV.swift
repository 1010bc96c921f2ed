import Foundation
import GRDB
import SyncKernel

/// Importing and exporting contacts and activities as CSV.
extension Replica {
    /// Adds every record of a CSV file in one transaction, or none.
    ///
    /// The first line names the columns (those of the table; `id`, `created_at` and
    /// `updated_at` may be left out). Empty cells are NULL. The first malformed or invalid line
    /// refuses the whole file with an error naming the line and what to fix.
    /// - Returns: the number of records added.
    public func importCSV(_ table: SyncTable, text: String) throws -> Int {
        let csv: CSVTable
        do {
            csv = try CSVTable(parsing: text)
        } catch {
            throw Self.rejected(error.line, error.reason)
        }
        // The header is named by column number, not by its text: in a file without a header,
        // the first line holds somebody's data.
        for (index, column) in csv.header.enumerated() where !table.columns.contains(column) {
            throw Self.rejected(
                1,
                "column \(index + 1) of the header is not a column of \(table.rawValue); the first line must name "
                    + "columns among \(table.columns.joined(separator: ", "))")
        }
        for (index, column) in csv.header.enumerated() where csv.header[..<index].contains(column) {
            throw Self.rejected(1, "column \(index + 1) of the header repeats the name of an earlier column")
        }
        let validator = RecordValidator(table: table)
        // The header names only columns of the table (checked above): their positions, once.
        let positions = csv.header.map { table.columnIndex($0)! }
        let updatedAt = table.columns.count - 1
        var records: [(line: Int, record: RecordValues)] = []
        var ids = Set<String>()
        for line in csv.records {
            var record = RecordValues(table)
            for (index, text) in zip(positions, line.fields) where index != updatedAt {
                record[column: index] = text
            }
            do {
                var valid = try validator.validate(record, isInsert: true)
                if let id = valid.id {
                    guard ids.insert(id).inserted else {
                        throw SyncError(.invalidInput, "the id appears on an earlier line too", field: "id")
                    }
                } else {
                    valid.remove(column: 0)
                }
                records.append((line.line, valid))
            } catch let error as SyncError {
                throw Self.rejected(line.line, error, header: csv.header)
            }
        }
        return try write { db in
            for record in records {
                do {
                    try checkReferences(db, record.record)
                    _ = try InsertCapture(db: db, table: table).insert([record.record])
                } catch let error as SyncError {
                    throw Self.rejected(record.line, error, header: csv.header)
                } catch let error as DatabaseError {
                    throw Self.rejected(record.line, "the database refused the record (\(error.resultCode))")
                }
            }
            return records.count
        }
    }

    /// All visible records of `table` as CSV, columns in schema order, a header first.
    public func exportCSV(_ table: SyncTable) throws -> String {
        var text = CSVTable.line(table.columns) + "\n"
        for record in try records(table) {
            text += CSVTable.line(record.values) + "\n"
        }
        return text
    }

    private static func rejected(_ line: Int, _ reason: String, field: String? = nil) -> SyncError {
        SyncError(
            .importRejected, "line \(line): \(reason); nothing was imported, fix the file and import it again",
            field: field, line: line)
    }

    /// Names the line and, where the error is about a field, its column in the file.
    private static func rejected(_ line: Int, _ error: SyncError, header: [String]) -> SyncError {
        guard let field = error.field, let index = header.firstIndex(of: field) else {
            return rejected(line, error.message, field: error.field)
        }
        return rejected(line, "column \(index + 1): \(error.message)", field: field)
    }
}
