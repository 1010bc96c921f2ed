import Foundation

/// What reaches a terminal: no record value or server message may steer it.
///
/// A value is data from other offices (a shared contact's name, an activity's notes) and a
/// message may come from a server: an escape sequence inside either (`ESC ]0;…` retitles the
/// window, `ESC [2J` clears it) would otherwise act on the admin's terminal. Every control
/// character but line feed and tab is shown as `\u{1B}`-style text instead. JSON output stays
/// exact: the encoder escapes the C0 controls itself, and ``json(_:)`` escapes DEL and C1.
public enum Terminal {
    /// Whether `scalar` is a control character a terminal may act on.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }

    /// `text` with every control character but line feed and tab written out.
    public static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Encoded JSON with DEL and the C1 controls as `\u` escapes: the same data, inert.
    public static func json(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                let hex = String(scalar.value, radix: 16)
                result.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
