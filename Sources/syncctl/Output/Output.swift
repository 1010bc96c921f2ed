import CommandLineSupport
import Foundation
import SyncCore
import SyncKernel

/// Everything `syncctl` prints, in one place: human tables, and JSON through `Codable`.
enum Output {
    /// One record: `column: value` lines, or a JSON object keyed by column name.
    static func record(_ record: RecordValues, json: Bool) throws {
        if json {
            try Self.json(record)
        } else {
            let columns = record.table.columns
            let width = columns.map(\.count).max() ?? 0
            for (column, value) in zip(columns, record.values) {
                print("\(column.padding(toLength: width, withPad: " ", startingAt: 0))  \(value ?? "")")
            }
        }
    }

    /// Many records: an aligned table of the main columns, or a JSON array of whole records.
    static func list(_ records: [RecordValues], table: SyncTable, json: Bool) throws {
        if json { return try Self.json(records) }
        let columns =
            switch table {
            case .contacts: ["id", "name", "organisation", "role", "quartier"]
            case .activities: ["id", "starts_at", "title", "quartier", "handlungsfeld", "status"]
            case .resolutions: ["resolved_at", "office", "decision", "record_table", "record_id", "field"]
            case .erasures: ["ordered_at", "ordered_by", "record_table", "record_id", "reason"]
            }
        let rows = records.map { record in columns.map { record[$0] ?? "" } }
        Self.table(header: columns, rows: rows)
        print("\(records.count) \(records.count == 1 ? table.singular : table.rawValue)")
    }

    /// An aligned text table.
    static func table(header: [String], rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], min(cell.count, 40)) }
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { cell, width in
                let clipped = cell.count > 40 ? String(cell.prefix(39)) + "…" : cell
                return clipped.padding(toLength: width, withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(line(header.map { $0.uppercased() }))
        for row in rows { print(line(row)) }
    }

    /// A one-line warning on standard error: something overdue the user must act on. Never
    /// personal data.
    static func warning(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data("warning: \(Terminal.safe(text))\n".utf8))
    }

    /// A one-line note on standard error: something the user should know although the
    /// command succeeded. Never personal data.
    static func note(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data("note: \(Terminal.safe(text))\n".utf8))
    }

    /// Prints `value` as JSON: keys sorted, so the output is the same for the same data.
    static func json(_ value: some Encodable) throws {
        Swift.print(Terminal.json(String(decoding: try encoder.encode(value), as: UTF8.self)))
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
