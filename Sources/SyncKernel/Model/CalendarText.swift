import Foundation

/// Parses and normalises the date and time texts stored in the replica.
///
/// Times are local wall-clock times of the office (Europe/Berlin), stored without a zone as
/// `YYYY-MM-DDTHH:MM`; dates as `YYYY-MM-DD`. Sorting the text sorts the times.
enum CalendarText {
    /// `2025-06-16T14:00`, `2025-06-16 14:00`, `2025-06-16T14:00:00` or `2025-06-16`
    /// (midnight) → `2025-06-16T14:00`; nil when not a real date and time.
    static func dateTime(_ text: String) -> String? {
        let trimmed = text.trimmedWhitespace
        let parts = trimmed.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "T" || $0 == " " })
        guard parts.count == 1 || parts.count == 2, let date = calendarDate(String(parts[0])) else { return nil }
        guard parts.count == 2 else { return date + "T00:00" }
        let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2 || clock.count == 3,
            clock.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let hour = Int(clock[0]), let minute = Int(clock[1]), hour < 24, minute < 60
        else { return nil }
        if clock.count == 3 { guard let second = Int(clock[2]), second < 60 else { return nil } }
        return "\(date)T\(clock[0]):\(clock[1])"
    }

    /// `2025-03-26` → itself, or nil when not a real calendar date. A date-time is cut to its date.
    static func date(_ text: String) -> String? {
        let trimmed = text.trimmedWhitespace
        if trimmed.utf8.contains(where: { $0 == UInt8(ascii: "T") || $0 == UInt8(ascii: " ") }) {
            return dateTime(trimmed).map { String($0.prefix(10)) }
        }
        return calendarDate(trimmed)
    }

    /// Exactly `YYYY-MM-DD` and a real calendar date, read byte by byte (this runs for every
    /// row of an import).
    private static func calendarDate(_ trimmed: String) -> String? {
        let bytes = trimmed.utf8
        guard bytes.count == 10 else { return nil }
        var numbers = [0, 0, 0]
        for (offset, byte) in bytes.enumerated() {
            if offset == 4 || offset == 7 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let part = offset < 4 ? 0 : offset < 7 ? 1 : 2
            numbers[part] = numbers[part] * 10 + Int(byte - UInt8(ascii: "0"))
        }
        let (year, month, day) = (numbers[0], numbers[1], numbers[2])
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return trimmed
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
