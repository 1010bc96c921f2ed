import ArgumentParser
import Foundation
import SyncKernel

/// `syncctl subject erase|report`: a person's data at this office (DSGVO Art. 17 and 15).
struct SubjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subject", abstract: "Erase a person's contact everywhere, or report what this office holds.",
        discussion: """
            'erase' removes the contact here at once and orders its erasure in every office that holds it; \
            'syncctl admin erasures' shows which offices have carried it out. 'report' lists every record, \
            field and value this office holds about the person. See docs/data-protection.md.
            """,
        subcommands: [Erase.self, Report.self])

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a contact of this office's Quartiere here and, with the next sync, everywhere.")
        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "The contact's id.") var id: String
        @Option(help: "Why: the request's reference (not the person's name); kept as proof.") var reason: String
        @Flag(help: "Print the erasure order as JSON.") var json = false

        func run() throws {
            let erasure = try replica.open().erase(.contacts, id: id, reason: reason)
            if json { return try Output.json(erasure.order) }
            print("Erased contact \(id) here (erasure order \(erasure.order.id)).")
            if erasure.auditEntries > 0 { print("Audit entries about it erased: \(erasure.auditEntries).") }
            if erasure.activities > 0 {
                print("Activities that no longer name it as organiser: \(erasure.activities).")
            }
            print(
                "The next sync sends the order to every office that holds the contact; "
                    + "'syncctl admin erasures' shows who has carried it out.")
            print("Exports and printed lists made earlier still hold the data: delete them by hand.")
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Everything this office holds about a contact: records, values, who wrote them, when.")
        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "The contact's id.") var id: String
        @OptionGroup var output: ReportOutput

        func run() throws {
            try output.write(try replica.open().subjectReport(contact: id))
        }
    }
}

/// `--json` and `--out FILE` of a subject report.
struct ReportOutput: ParsableArguments {
    @Flag(help: "JSON instead of a Markdown document.") var json = false
    @Option(help: ArgumentHelp("Write the report to this file (mode 0600) instead of printing it.", valueName: "file"))
    var out: String?

    /// Prints the report, or writes it to `--out` readable by its owner only.
    func write(_ report: SubjectReport) throws {
        let text: String
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            text = String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
        } else {
            text = report.markdown
        }
        guard let out else { return print(text, terminator: "") }
        guard
            FileManager.default.createFile(
                atPath: out, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw SyncError(.invalidInput, "cannot write \(out): check the directory and its permissions") }
        // An existing file keeps its mode on createFile: make sure nobody else reads it.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: out)
        print("Wrote the report on \(report.records.count) record(s) to \(out) (readable by you only).")
    }
}
