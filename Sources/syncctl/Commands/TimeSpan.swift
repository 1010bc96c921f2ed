import ArgumentParser

/// A span of time on the command line: `90m`, `48h`, `2d`, `30s` (a bare number is minutes).
struct TimeSpan: ExpressibleByArgument, Equatable, CustomStringConvertible {
    /// The span in seconds.
    var seconds: Int

    init(seconds: Int) { self.seconds = seconds }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let unit = text.last.flatMap { $0.isLetter ? $0 : nil }
        guard let number = Int(unit == nil ? text : String(text.dropLast())), number >= 0 else { return nil }
        let unitSeconds: Int
        switch unit {
        case "s": unitSeconds = 1
        case nil, "m": unitSeconds = 60
        case "h": unitSeconds = 3600
        case "d": unitSeconds = 86400
        default: return nil
        }
        // A mistyped span of many digits is refused, never an overflow.
        let (span, overflow) = number.multipliedReportingOverflow(by: unitSeconds)
        guard !overflow else { return nil }
        seconds = span
    }

    /// The shortest exact form: `2d`, `48h` is `2d`, `90m`, `30s`.
    var description: String {
        if seconds > 0 && seconds % 86400 == 0 { return "\(seconds / 86400)d" }
        if seconds > 0 && seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
