import ArgumentParser
import SyncCore
import SyncKernel
import SyncProtocol

/// `syncctl conflicts list|show|resolve|history`: the conflict desk of one replica.
struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts", abstract: "Find, understand and settle conflicts; read who settled what.",
        discussion: """
            A conflict is a field two offices changed differently without seeing each other's \
            edit, or a record one office deleted while another edited it. Every replica shows \
            the same conflicts with the same ids. A settlement is a new edit that syncs like any \
            other and closes the conflict on every office it reaches.
            """,
        subcommands: [List.self, Show.self, Resolve.self, History.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List open conflicts: each field edited differently by two offices, and deletes against edits.")

        @OptionGroup var replica: ReplicaOptions
        @Flag(help: "Print an array of conflicts as JSON.") var json = false
        @Flag(help: "Print only the conflicts' ids, one per line (for scripts).") var ids = false

        func run() throws {
            let reports = try replica.open().conflicts().map(ConflictReport.init)
            if ids {
                for report in reports { print(report.id) }
                return
            }
            try ConflictDesk.list(reports, json: json)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show one conflict: the common ancestor, each competing value with its office and time, and what the table shows."
        )

        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "The conflict's id, as 'conflicts list' prints it.") var id: String
        @Flag(help: "Print the conflict as JSON.") var json = false

        func run() throws {
            try ConflictDesk.show(ConflictReport(try replica.open().conflict(id: id)), json: json)
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Settle a conflict with a reason; the decision syncs like an edit.",
            discussion: """
                Choose one: --take OFFICE keeps that office's value (where that office deleted \
                the record after writing, its value is gone: taking it leaves the field empty); \
                --take-shown keeps the value the table shows now; --set FIELD=VALUE writes a new value. For a delete against \
                an edit: --keep (the record stays) or --delete (the delete is confirmed). \
                Editing the field with 'contact edit' or 'activity edit' settles it too.
                """)

        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "The conflict's id, as 'conflicts list' prints it.") var id: String
        @OptionGroup var decision: DecisionOptions
        @Flag(help: "Print the audit entry as JSON.") var json = false

        func validate() throws { try decision.validate() }

        func run() throws {
            let replica = try replica.open()
            let conflict = try replica.conflict(id: id)
            let entry = try replica.resolve(
                id, try decision.decision(for: conflict.table), reason: decision.reason)
            try ConflictDesk.settled(
                entry, json: json, then: "It reaches the other offices with your next 'syncctl sync'.")
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The audit trail: which conflict was settled, how, by which office, when and why.")

        @OptionGroup var replica: ReplicaOptions
        @Flag(help: "Print an array of entries as JSON.") var json = false

        func run() throws {
            try ConflictDesk.history(try replica.open().resolutions(), json: json)
        }
    }
}

/// The decision flags of `conflicts resolve`, shared with `admin conflicts resolve`.
struct DecisionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Keep the value this office wrote (as 'list' names it); for an office that deleted the record since, leave the field empty.",
            valueName: "office"))
    var take: String?
    @Flag(help: "Keep the value the table shows now.") var takeShown = false
    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Write this value (repeat for more fields).", valueName: "field=value"))
    var values: [String] = []
    @Flag(help: "Delete against edit: the record stays.") var keep = false
    @Flag(help: "Delete against edit: the delete is confirmed.") var delete = false
    @Option(help: "Why this is right (kept in the audit trail; write no personal data here).")
    var reason: String

    func validate() throws {
        let chosen = [take != nil, takeShown, !values.isEmpty, keep, delete].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError(
                "choose exactly one of --take OFFICE, --take-shown, --set FIELD=VALUE, --keep, --delete")
        }
    }

    /// The decision for a conflict of `table`.
    func decision(for table: SyncTable) throws -> ConflictDecision {
        if let take { return .take(office: take) }
        if takeShown { return .takeShown }
        if keep { return .keep }
        if delete { return .delete }
        var given: [String: String?] = [:]
        for (index, pair) in values.enumerated() {
            guard let equals = pair.firstIndex(of: "=") else {
                throw ValidationError("--set number \(index + 1) needs the form FIELD=VALUE")
            }
            let value = String(pair[pair.index(after: equals)...])
            given[String(pair[..<equals])] = value.isEmpty ? nil : value
        }
        return .set(try RecordValues(table, given))
    }
}

/// How the conflict desk prints, for `conflicts` and `admin conflicts` alike. `command` is the
/// command the reader runs next (`syncctl conflicts`, or `syncctl admin conflicts` with the
/// server options), so that every hint can be followed as written.
enum ConflictDesk {
    static let office = "syncctl conflicts"
    static let admin = "syncctl admin conflicts"

    static func list(_ reports: [ConflictReport], json: Bool, command: String = office) throws {
        if json { return try Output.json(reports) }
        guard !reports.isEmpty else {
            print("No open conflicts.")
            return
        }
        let rows = reports.map {
            [
                $0.id, $0.kind == .field ? $0.field : "delete vs edit", "\($0.table) \($0.recordId)",
                $0.quartier ?? "", $0.offices.joined(separator: ", "), $0.since,
            ]
        }
        Output.table(header: ["id", "field", "record", "quartier", "offices", "since"], rows: rows)
        print(
            "\(reports.count) open conflict\(reports.count == 1 ? "" : "s"): '\(command) show ID\(command == admin ? " --server URL --token-file FILE" : "")' explains one"
        )
    }

    static func show(_ report: ConflictReport, json: Bool, command: String = office) throws {
        let options = command == admin ? " --server URL --token-file FILE" : ""
        if json { return try Output.json(report) }
        func text(_ value: String?) -> String { value.map { "'\($0)'" } ?? "(empty)" }
        print("conflict  \(report.id)")
        print("record    \(report.table) \(report.recordId) (Quartier \(report.quartier ?? "unknown"))")
        print("since     \(report.since)")
        if report.kind == .deleteVersusEdit {
            print("kind      one office deleted the record while another edited it")
        } else {
            print("field     \(report.field)")
            print(
                "ancestor  \(report.ancestorKnown ? text(report.ancestor) : "(not known: the writes started from different values, or no store kept it)")"
            )
        }
        let shown = report.shownIndex
        for (index, version) in report.versions.enumerated() {
            let marker = index == shown ? "shown now" : "competing"
            let office = version.office ?? version.replicaId
            var line: String
            if version.erased {
                // Its writer deleted the record afterwards: the value is gone, not empty.
                line = "\(marker)  (deleted at \(office), \(version.time): taking it leaves the field empty)"
            } else {
                line = "\(marker)  \(text(version.value))  by \(office) at \(version.time)"
                if report.kind == .field && version.replacedKnown { line += ", replacing \(text(version.replaced))" }
            }
            print(line)
        }
        if report.kind == .deleteVersusEdit {
            print("settle with: \(command) resolve \(report.id) --keep|--delete --reason TEXT\(options)")
        } else {
            print(
                "settle with: \(command) resolve \(report.id) --take OFFICE|--take-shown|--set \(report.field)=VALUE --reason TEXT\(options)"
            )
        }
    }

    static func settled(_ entry: Resolution, json: Bool, then next: String) throws {
        if json { return try Output.json(entry) }
        print(
            "Settled \(entry.conflictId) (\(entry.table.singular) \(entry.recordId), \(entry.field)): \(entry.decision)"
        )
        print(next)
    }

    static func history(_ entries: [Resolution], json: Bool) throws {
        if json { return try Output.json(entries) }
        guard !entries.isEmpty else {
            print("No conflict has been settled yet.")
            return
        }
        let rows = entries.map {
            [
                $0.resolvedAt, $0.office, $0.decision + ($0.chosenOffice.map { " \($0)" } ?? ""),
                "\($0.table.rawValue) \($0.recordId)", $0.field, $0.reason,
            ]
        }
        Output.table(header: ["when", "office", "decision", "record", "field", "reason"], rows: rows)
    }
}
