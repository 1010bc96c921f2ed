import Foundation
import SyncCore

/// Everything `syncctl` prints, in one place: human tables and JSON with keys in schema order.
enum Output {
    /// One record: `column: value` lines, or a JSON object keyed by column name.
    static func record(_ record: Replica.Values, table: SyncTable, json: Bool) {
        if json {
            print(object(record, table: table))
        } else {
            let width = table.columns.map(\.count).max() ?? 0
            for column in table.columns {
                let label = column.padding(toLength: width, withPad: " ", startingAt: 0)
                print("\(label)  \((record[column] ?? nil) ?? "")")
            }
        }
    }

    /// Many records: an aligned table of the main columns, or a JSON array of whole records.
    static func list(_ records: [Replica.Values], table: SyncTable, json: Bool) {
        if json {
            print("[" + records.map { object($0, table: table) }.joined(separator: ",\n ") + "]")
            return
        }
        let columns =
            table == .contacts
            ? ["id", "name", "organisation", "role", "quartier"]
            : ["id", "starts_at", "title", "quartier", "handlungsfeld", "status"]
        let rows = records.map { record in columns.map { (record[$0] ?? nil) ?? "" } }
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

    /// A flat JSON object with keys in the given order.
    /// A one-line note on standard error: something the user should know although the
    /// command succeeded. Never personal data.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data("note: \(text)\n".utf8))
    }

    static func json(_ pairs: KeyValuePairs<String, Any?>) {
        print("{" + pairs.map { "\(quote($0.key)): \(value($0.value))" }.joined(separator: ", ") + "}")
    }

    static func object(_ record: Replica.Values, table: SyncTable) -> String {
        "{" + table.columns.map { "\(quote($0)): \(value(record[$0] ?? nil))" }.joined(separator: ", ") + "}"
    }

    static func value(_ value: Any?) -> String {
        switch value {
        case nil: "null"
        case let string as String: quote(string)
        case let optional as String?: optional.map(quote) ?? "null"
        case let number as Int: String(number)
        case let number as Double: String(number)
        case let flag as Bool: flag ? "true" : "false"
        case let array as [Any?]: "[" + array.map { Self.value($0) }.joined(separator: ", ") + "]"
        case let raw as RawJSON: raw.text
        default: quote(String(describing: value!))
        }
    }

    /// Already-encoded JSON to embed as it is.
    struct RawJSON {
        var text: String
    }

    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
