import SyncKernel

/// A strictly parsed CSV file: a header and records, each with the line it starts on.
///
/// RFC 4180 with two allowances that spreadsheets in German offices need: the delimiter may be
/// `;` (detected from the header line) and a UTF-8 byte-order mark is ignored. Anything else
/// that is not well-formed — a quote left open, a quote inside an unquoted field, a record
/// with the wrong number of fields — is an error naming the line, because an import that
/// guesses can put a phone number into the notes of someone else.
///
/// Why not a CSV library from the package list: SwiftCSV 0.10 reports a malformed quote
/// without the line it is on (and its message repeats the offending character, which may be
/// personal data), and CSV.swift 2.5 accepts a quote left open by reading on to the end of the
/// file. An import must name the line and refuse the file, so the parser stays here.
struct CSVTable {
    /// One record of the file and the line number (1-based) where it starts.
    struct Line {
        var line: Int
        var fields: [String]
    }

    var header: [String]
    var records: [Line]

    /// A parse failure with its line.
    struct ParseError: Error {
        var line: Int
        var reason: String
    }

    init(parsing text: String) throws(ParseError) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        let firstLine = scalars.prefix { $0 != "\n" && $0 != "\r" }
        let delimiter: Unicode.Scalar = firstLine.contains(";") && !firstLine.contains(",") ? ";" : ","
        var all: [Line] = []
        var index = 0
        var line = 1
        while index < scalars.count {
            let start = line
            var fields: [String] = []
            var field = String.UnicodeScalarView()
            var atFieldStart = true
            var quoted = false
            var closedQuote = false
            recordLoop: while true {
                guard index < scalars.count else {
                    if quoted && !closedQuote { throw ParseError(line: start, reason: "a quoted field is not closed") }
                    fields.append(String(field))
                    break recordLoop
                }
                let scalar = scalars[index]
                index += 1
                if quoted && !closedQuote {
                    if scalar == "\"" {
                        if index < scalars.count && scalars[index] == "\"" {
                            field.append("\"")
                            index += 1
                        } else {
                            closedQuote = true
                        }
                    } else if scalar == "\r" && index < scalars.count && scalars[index] == "\n" {
                        continue  // a line break inside a cell is kept as \n
                    } else {
                        if scalar == "\n" { line += 1 }
                        field.append(scalar)
                    }
                    continue
                }
                switch scalar {
                case delimiter:
                    fields.append(String(field))
                    field = String.UnicodeScalarView()
                    atFieldStart = true
                    quoted = false
                    closedQuote = false
                case "\r":
                    continue
                case "\n":
                    line += 1
                    fields.append(String(field))
                    break recordLoop
                case "\"" where atFieldStart:
                    quoted = true
                    atFieldStart = false
                default:
                    if closedQuote {
                        throw ParseError(
                            line: line,
                            reason: "text follows a closing quote; write a quote inside a quoted field as \"\"")
                    }
                    if scalar == "\"" {
                        throw ParseError(
                            line: line,
                            reason:
                                "a quote inside an unquoted field; put the whole field in quotes and double the quote")
                    }
                    atFieldStart = false
                    field.append(scalar)
                }
            }
            if fields == [""] { continue }  // an empty line
            all.append(Line(line: start, fields: fields))
        }
        guard let first = all.first else {
            throw ParseError(line: 1, reason: "the file is empty; the first line must name the columns")
        }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        records = Array(all.dropFirst())
        for record in records where record.fields.count != header.count {
            throw ParseError(
                line: record.line,
                reason: "expected \(header.count) fields as in the header, found \(record.fields.count)")
        }
    }

    /// One CSV line for `fields`, quoting where needed.
    static func line(_ fields: [String?]) -> String {
        fields.map { field -> String in
            guard let field else { return "" }
            let needsQuotes = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" }
            return needsQuotes ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",")
    }
}
