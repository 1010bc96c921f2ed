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
        try importCSV(table, text: text, skippingDuplicates: false).imported
    }

    /// What an import did.
    public struct CSVImport: Sendable, Equatable, Codable {
        /// Records added.
        public var imported: Int
        /// File lines (1 = the header) of rows without an id that repeat a record this replica
        /// holds, or an earlier line: a contact with the same name and the same e-mail or
        /// phone, an activity with the same title, start and place. Added anyway, unless
        /// skipped.
        public var duplicateLines: [Int]
        /// Whether those lines were left out.
        public var skippedDuplicates: Bool
    }

    /// As ``importCSV(_:text:)``, and names the rows that repeat a record already here (or an
    /// earlier row): a file imported twice would otherwise double every record. With
    /// `skippingDuplicates`, those rows are left out.
    public func importCSV(_ table: SyncTable, text: String, skippingDuplicates: Bool) throws -> CSVImport {
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
            var seen = Set<[String]>()
            for record in try db.rows(
                sql: "SELECT \(Self.duplicateColumns(table).joined(separator: ", ")) FROM \(table.rawValue)")
            {
                for key in Self.duplicateKeys(table, (0..<record.count).map { record[$0] as String? }) {
                    seen.insert(key)
                }
            }
            var duplicateLines: [Int] = []
            var kept: [(line: Int, record: RecordValues)] = []
            for record in records {
                let keys = Self.duplicateKeys(table, Self.duplicateColumns(table).map { record.record[$0] })
                let repeats = record.record.id == nil && keys.contains(where: seen.contains)
                for key in keys { seen.insert(key) }
                if repeats {
                    duplicateLines.append(record.line)
                    if skippingDuplicates { continue }
                }
                kept.append(record)
            }
            for record in kept {
                do {
                    try checkReferences(db, record.record)
                    _ = try InsertCapture(db: db, table: table).insert([record.record])
                } catch let error as SyncError {
                    throw Self.rejected(record.line, error, header: csv.header)
                } catch let error as DatabaseError {
                    throw Self.rejected(record.line, "the database refused the record (\(error.resultCode))")
                }
            }
            return CSVImport(
                imported: kept.count, duplicateLines: duplicateLines, skippedDuplicates: skippingDuplicates)
        }
    }

    /// The columns that tell whether two rows are the same record to a person.
    private static func duplicateColumns(_ table: SyncTable) -> [String] {
        table == .contacts ? ["name", "email", "phone"] : ["title", "starts_at", "location"]
    }

    /// The keys under which a row (`values` of ``duplicateColumns(_:)``) is "the same": a
    /// contact by name with its e-mail, and by name with its phone; an activity by title,
    /// start and place. Compared without case and surrounding spaces; a row without a name
    /// (or title) has none.
    private static func duplicateKeys(_ table: SyncTable, _ values: [String?]) -> [[String]] {
        let normal = values.map { $0?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() ?? "" }
        guard !normal[0].isEmpty else { return [] }
        if table == .contacts {
            return [1, 2].filter { !normal[$0].isEmpty }.map { [normal[0], String($0), normal[$0]] }
        }
        return [normal]
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
