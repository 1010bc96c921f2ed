import Foundation
import GRDB

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
        for column in csv.header where !table.columns.contains(column) {
            throw Self.rejected(
                1, "unknown column '\(column)'; \(table.rawValue) have \(table.columns.joined(separator: ", "))")
        }
        if let duplicate = Dictionary(grouping: csv.header, by: { $0 }).first(where: { $0.value.count > 1 }) {
            throw Self.rejected(1, "the column '\(duplicate.key)' appears twice")
        }
        let validator = RecordValidator(table: table)
        var records: [(line: Int, values: Values)] = []
        var ids = Set<String>()
        for record in csv.records {
            var values: Values = [:]
            for (column, text) in zip(csv.header, record.fields) where column != "updated_at" {
                values[column] = text
            }
            do {
                var valid = try validator.validate(values, isInsert: true)
                if let id = valid["id"] ?? nil {
                    guard ids.insert(id).inserted else {
                        throw SyncError(.invalidInput, "the id \(id) appears twice in the file")
                    }
                } else {
                    valid["id"] = nil
                }
                records.append((record.line, valid))
            } catch let error as SyncError {
                throw Self.rejected(record.line, error.message)
            }
        }
        return try write { db in
            for record in records {
                do {
                    try checkReferences(db, table, record.values)
                    _ = try InsertCapture(db: db, table: table).insert([record.values])
                } catch let error as SyncError {
                    throw Self.rejected(record.line, error.message)
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
            text += CSVTable.line(table.columns.map { record[$0] ?? nil }) + "\n"
        }
        return text
    }

    private static func rejected(_ line: Int, _ reason: String) -> SyncError {
        SyncError(.importRejected, "line \(line): \(reason); nothing was imported, fix the file and import it again")
    }
}
