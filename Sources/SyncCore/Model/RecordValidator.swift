import Foundation

/// Checks and normalises the values of a record before SyncCore writes it.
///
/// Other SQLite clients are held to the schema's constraints only; SyncCore and `syncctl`
/// also check dates, Handlungsfelder and references, and say what to do when a value is wrong.
struct RecordValidator {
    let table: SyncTable
    /// Fields a new record must be given (timestamps and status have defaults).
    private let required: [String]

    init(table: SyncTable) {
        self.table = table
        required = table.requiredFields.subtracting(["created_at", "status"]).sorted()
    }

    /// The normalised values, or an error naming the first wrong field. `isInsert` demands the
    /// required fields; an edit only checks what it changes.
    func validate(_ values: [String: String?], isInsert: Bool) throws -> [String: String?] {
        var result: [String: String?] = [:]
        for (column, value) in values {
            guard table.fields.contains(column) || column == "id" else {
                throw SyncError(
                    .invalidInput,
                    "unknown \(table.rawValue) field '\(column)': use one of \(table.fields.joined(separator: ", "))")
            }
            let trimmed = value?.trimmedWhitespace
            let text = trimmed?.isEmpty == true ? nil : trimmed
            result[column] = try normalise(column, text)
        }
        for field in required {
            let missing =
                isInsert ? (result[field] ?? nil) == nil : result.keys.contains(field) && result[field]! == nil
            if missing {
                throw SyncError(
                    .invalidInput,
                    "a \(table.singular) needs a \(field): pass --\(field.replacingOccurrences(of: "_", with: "-")) VALUE"
                )
            }
        }
        return result
    }

    private func normalise(_ column: String, _ value: String?) throws -> String? {
        guard let value else {
            if column == "status" {
                throw SyncError(.invalidInput, "status cannot be empty: use planned, held or cancelled")
            }
            return nil
        }
        switch column {
        case "starts_at", "ends_at":
            guard let normalised = CalendarText.dateTime(value) else {
                throw SyncError(
                    .invalidInput, "\(column) '\(value)' is not a date and time: write it as 2025-06-16T14:00")
            }
            return normalised
        case "consent_at":
            guard let normalised = CalendarText.date(value) else {
                throw SyncError(.invalidInput, "consent_at '\(value)' is not a date: write it as 2025-03-26")
            }
            return normalised
        case "handlungsfeld":
            guard Handlungsfeld(rawValue: value) != nil else {
                throw SyncError(
                    .invalidInput, "unknown handlungsfeld '\(value)': use one of \(Handlungsfeld.allValues)")
            }
            return value
        case "status":
            guard ActivityStatus(rawValue: value) != nil else {
                throw SyncError(.invalidInput, "unknown status '\(value)': use planned, held or cancelled")
            }
            return value
        case "quartier":
            guard value.count <= 80, !value.contains(where: \.isNewline) else {
                throw SyncError(
                    .invalidInput,
                    "quartier '\(value)' is not a Quartier name: use a short name such as kuckuck, or * for the state-wide network"
                )
            }
            return value
        default:
            return value
        }
    }
}

extension String {
    /// The text without leading and trailing white space or line breaks. (Foundation's
    /// `trimmingCharacters(in:)` costs tens of microseconds per call on Linux: too much for imports.)
    var trimmedWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return self }
        return String(scalars[first...last])
    }
}
