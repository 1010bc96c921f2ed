import ArgumentParser
import CommandLineSupport
import Foundation
import SyncCore
import SyncKernel
import SyncRemote

/// What `import --json` prints.
struct Imported: Encodable {
    var imported: Int
    var table: String
    /// File lines repeating a record already here (or an earlier line).
    var duplicateLines: [Int]
    var skippedDuplicates: Bool
}

/// `syncctl import contacts|activities FILE.csv`
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add records from a CSV file: all of them, or none if any line is wrong.",
        discussion: "The first line names the columns (see 'syncctl export'); ';' works as delimiter too.")

    @OptionGroup var replica: ReplicaOptions
    @Argument(help: "contacts or activities.") var table: SyncTable
    @Argument(help: "The CSV file (UTF-8).") var file: String
    @Flag(
        help: ArgumentHelp(
            "Leave out rows that repeat a record already here (or an earlier row).",
            discussion:
                "A contact repeats one with the same name and the same e-mail or phone; an activity, one with the same title, start and place. Rows with an id are never left out."
        ))
    var skipDuplicates = false
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        guard SyncTable.editable.contains(table) else {
            throw ValidationError(
                "only contacts and activities can be imported: the audit trail is written by 'conflicts resolve'")
        }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SyncError(.invalidInput, "cannot read \(file): check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SyncError(.importRejected, "\(file) is not UTF-8 text: save it as 'CSV UTF-8' and import again")
        }
        let result = try replica.open().importCSV(table, text: text, skippingDuplicates: skipDuplicates)
        let count = result.imported
        if json {
            return try Output.json(
                Imported(
                    imported: count, table: table.rawValue, duplicateLines: result.duplicateLines,
                    skippedDuplicates: result.skippedDuplicates))
        }
        print("Imported \(count) \(count == 1 ? table.singular : table.rawValue) from \(file)")
        guard !result.duplicateLines.isEmpty else { return }
        let lines = result.duplicateLines.prefix(20).map(String.init).joined(separator: ", ")
        let more = result.duplicateLines.count > 20 ? " and \(result.duplicateLines.count - 20) more" : ""
        if result.skippedDuplicates {
            Output.note(
                "left out \(result.duplicateLines.count) rows that repeat a record already here: lines \(lines)\(more)")
        } else {
            Output.note(
                "\(result.duplicateLines.count) imported rows repeat a record already here (lines \(lines)\(more)): "
                    + "was the file imported before? 'syncctl \(table.singular) delete ID' removes one; "
                    + "'import --skip-duplicates' leaves such rows out")
        }
    }
}

/// `syncctl export contacts|activities [--out FILE]`
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write all records of a table as CSV.")

    @OptionGroup var replica: ReplicaOptions
    @Argument(help: "contacts or activities.") var table: SyncTable
    @Option(help: "Write to this file instead of standard output.") var out: String?

    func run() throws {
        let text = try replica.open().exportCSV(table)
        if let out {
            do {
                // Personal data: readable by its owner only, also when the file was there before.
                try Replica.writePrivately(text, to: out, what: "the export")
            } catch {
                throw SyncError(
                    .invalidInput, "cannot write \(out): check the directory and its permissions", cause: error)
            }
        } else {
            // A CSV file is data, exact; on a terminal it is shown like any other value.
            Swift.print(isatty(STDOUT_FILENO) == 1 ? Terminal.safe(text) : text, terminator: "")
        }
    }
}

extension SyncTable: ExpressibleByArgument {}
