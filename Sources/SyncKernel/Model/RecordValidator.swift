import Foundation

/// Checks and normalises the values of a record before SyncCore writes it.
///
/// Other SQLite clients are held to the schema's constraints only; SyncCore and `syncctl`
/// also check dates, Handlungsfelder and references, and say what to do when a value is wrong.
package struct RecordValidator {
    package let table: SyncTable
    /// Columns a new record must be given (timestamps and status have defaults).
    private let required: [Int]
    /// What each column holds, by position in ``SyncTable/columns``: how to check its value.
    private let kinds: [Kind]

    private enum Kind { case text, dateTime, date, handlungsfeld, status, quartier, updatedAt }

    package init(table: SyncTable) {
        self.table = table
        let optional: Set<String> = ["created_at", "status"]
        required = table.columns.indices.filter {
            table.requiredFields.contains(table.columns[$0]) && !optional.contains(table.columns[$0])
        }
        kinds = table.columns.map { column in
            switch column {
            case "starts_at", "ends_at": .dateTime
            case "consent_at": .date
            case "handlungsfeld": .handlungsfeld
            case "status": .status
            case "quartier": .quartier
            case "updated_at": .updatedAt
            default: .text
            }
        }
    }

    /// The normalised record, or an error naming the first wrong column. `isInsert` demands
    /// the required columns; an edit only checks what it changes. `updated_at` is kept by the
    /// engine: a record giving it is refused.
    package func validate(_ record: RecordValues, isInsert: Bool) throws -> RecordValues {
        precondition(record.table == table, "a \(record.table.singular) checked as a \(table.singular)")
        var result = record
        for index in kinds.indices where record.isGiven(index) {
            if kinds[index] == .updatedAt {
                throw SyncError(.invalidInput, "updated_at is kept by QuartierSync: leave it out", field: "updated_at")
            }
            let value = record[column: index]
            let trimmed = value?.trimmedWhitespace
            let normalised = try normalise(kinds[index], table.columns[index], trimmed?.isEmpty == true ? nil : trimmed)
            // Most values come through unchanged (and as the same string): nothing to write back.
            if normalised != value { result[column: index] = normalised }
        }
        for index in required {
            let missing =
                isInsert ? result[column: index] == nil : result.isGiven(index) && result[column: index] == nil
            if missing {
                throw SyncError(
                    .missingField, "a \(table.singular) needs a \(table.columns[index])", field: table.columns[index])
            }
        }
        return result
    }

    /// Throws when `text` is not a valid value of the column at `index` in ``SyncTable/columns``
    /// (what a pushed version must be; a server checks it with ``StateValidator``).
    package func check(column index: Int, _ text: String) throws(SyncError) {
        do {
            _ = try normalise(kinds[index], table.columns[index], text)
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.invalidInput, "\(table.columns[index]) is not valid", field: table.columns[index])
        }
    }

    private func normalise(_ kind: Kind, _ column: String, _ value: String?) throws -> String? {
        guard let value else {
            if kind == .status {
                throw SyncError(
                    .invalidInput, "status cannot be empty: use planned, held or cancelled", field: column)
            }
            return nil
        }
        switch kind {
        case .dateTime:
            guard let normalised = CalendarText.dateTime(value) else {
                throw SyncError(
                    .invalidInput, "\(column) is not a date and time: write it as 2025-06-16T14:00", field: column)
            }
            return normalised
        case .date:
            guard let normalised = CalendarText.date(value) else {
                throw SyncError(.invalidInput, "\(column) is not a date: write it as 2025-03-26", field: column)
            }
            return normalised
        case .handlungsfeld:
            guard Handlungsfeld(rawValue: value) != nil else {
                throw SyncError(
                    .invalidInput, "\(column) is not a known Handlungsfeld: use one of \(Handlungsfeld.allValues)",
                    field: column)
            }
            return value
        case .status:
            guard ActivityStatus(rawValue: value) != nil else {
                throw SyncError(
                    .invalidInput, "\(column) is not a status: use planned, held or cancelled", field: column)
            }
            return value
        case .quartier:
            guard value.utf8.count <= 80 || value.count <= 80, !value.containsLineBreak else {
                throw SyncError(
                    .invalidInput,
                    "\(column) is not a Quartier name (at most 80 characters, one line): use a short name such as kuckuck, or * for the state-wide network",
                    field: column)
            }
            return value
        case .text, .updatedAt:
            return value
        }
    }
}

extension String {
    /// The text without leading and trailing white space or line breaks. (Foundation's
    /// `trimmingCharacters(in:)` costs tens of microseconds per call on Linux: too much for imports.)
    package var trimmedWhitespace: String {
        // Most values start and end with a visible ASCII character: nothing to look up.
        guard let head = utf8.first, let tail = utf8.last else { return self }
        if (0x21...0x7E).contains(head) && (0x21...0x7E).contains(tail) { return self }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return self }
        return String(scalars[first...last])
    }

    /// Whether the text holds a line break of any kind (checked on bytes while it is ASCII).
    package var containsLineBreak: Bool {
        if utf8.allSatisfy({ $0 < 0x80 }) { return utf8.contains { (0x0A...0x0D).contains($0) } }
        return contains(where: \.isNewline)
    }
}
