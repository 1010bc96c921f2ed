import ArgumentParser
import Foundation
import SyncKernel
import SyncProtocol
import SyncRemote

/// `syncctl admin conflicts list|show|resolve`, `syncctl admin offices`: the network seen from
/// the server with an admin token, without a replica of anybody's data.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Work on the whole network through the server, with an admin token.",
        discussion: """
            Needs --server URL and --token-file FILE holding a token from 'sync-server admin add NAME'. \
            Decisions are written by the server and reach the offices on their next sync.
            """,
        subcommands: [Conflicts.self, Offices.self, Erasures.self, Subject.self, Retention.self])

    /// `--server URL --token-file FILE`, both required.
    struct Connection: ParsableArguments {
        @Option(help: "The sync server, e.g. https://sync.example.org.") var server: String
        @Option(help: "The file holding the admin token ('-': standard input).") var tokenFile: String
        @Option(help: "Seconds before a request gives up.") var timeout: Double = 30
        @Option(help: ArgumentHelp("A PEM file of the server's private certificate authority.", valueName: "pem"))
        var caFile: String?
        @Flag(help: "Allow plain http:// to a host other than this machine.") var allowInsecure = false

        func client() throws -> SyncClient {
            let data =
                tokenFile == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: tokenFile)
            guard let data else { throw SyncError(.invalidInput, "cannot read the token file \(tokenFile)") }
            return try SyncClient(
                remote: try Remote(
                    server: server, token: String(decoding: data, as: UTF8.self), admin: true, caFile: caFile,
                    allowInsecure: allowInsecure),
                timeout: timeout)
        }
    }

    struct Conflicts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "conflicts", abstract: "The network's open conflicts.",
            subcommands: [List.self, Show.self, Resolve.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Every open conflict in every Quartier.")
            @OptionGroup var connection: Connection
            @Flag(help: "Print an array of conflicts as JSON.") var json = false
            @Flag(help: "Print only the conflicts' ids, one per line (for scripts).") var ids = false

            func run() async throws {
                let reports = try await connection.client().adminConflicts()
                if ids {
                    for report in reports { print(report.id) }
                    return
                }
                try ConflictDesk.list(reports, json: json, command: ConflictDesk.admin)
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "One conflict's three-way view.")
            @OptionGroup var connection: Connection
            @Argument(help: "The conflict's id.") var id: String
            @Flag(help: "Print the conflict as JSON.") var json = false

            func run() async throws {
                try ConflictDesk.show(
                    try await connection.client().adminConflict(id: id), json: json, command: ConflictDesk.admin)
            }
        }

        struct Resolve: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Settle a conflict as the server's write; the offices get it on their next sync.")
            @OptionGroup var connection: Connection
            @Argument(help: "The conflict's id.") var id: String
            @OptionGroup var decision: DecisionOptions
            @Flag(help: "Print the audit entry as JSON.") var json = false

            func validate() throws { try decision.validate() }

            func run() async throws {
                let client = try connection.client()
                let conflict = try await client.adminConflict(id: id)
                guard let table = SyncTable(rawValue: conflict.table) else {
                    throw SyncError(.serverError, "the server names a table this syncctl does not know: update it")
                }
                let entry = try await client.adminResolve(
                    id: id, ResolveRequest(try decision.decision(for: table), reason: decision.reason))
                try ConflictDesk.settled(entry, json: json, then: "The offices get the decision with their next sync.")
            }
        }
    }

    struct Offices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Each office: last seen, last sync result, open conflicts in its Quartiere, changes not yet pulled.")
        @OptionGroup var connection: Connection
        @Flag(help: "Print an array of offices as JSON.") var json = false

        func run() async throws {
            let offices = try await connection.client().adminOffices()
            if json { return try Output.json(offices) }
            let rows = offices.map {
                [
                    $0.name + ($0.revoked ? " (revoked)" : ""), $0.quartiers.joined(separator: ", "),
                    $0.lastSeenAt ?? "never", $0.lastResult ?? "-", String($0.openConflicts), String($0.notYetPulled),
                ]
            }
            Output.table(
                header: ["office", "quartiere", "last seen", "last result", "conflicts", "not pulled"], rows: rows)
        }
    }

    struct Erasures: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every erasure order: its age, the offices that carried it out and those outstanding.",
            discussion: """
                Warns about orders that some office has not carried out after --deadline-days (default 25, so \
                that the month of Art. 12(3) DSGVO is kept); exits with 65 when there is such an order.
                """)
        @OptionGroup var connection: Connection
        @Flag(help: "Print an array of orders as JSON.") var json = false
        @Option(help: "Days after which an order still outstanding is overdue.") var deadlineDays = 25

        func run() async throws {
            let statuses = try await connection.client().adminErasures()
            if json { try Output.json(statuses) }
            let now = Date()
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            func days(_ iso: String) -> Int {
                formatter.date(from: iso).map { Int(now.timeIntervalSince($0) / 86_400) } ?? 0
            }
            let overdue = statuses.filter { !$0.outstanding.isEmpty && days($0.order.orderedAt) >= deadlineDays }
            if !json {
                let rows = statuses.map {
                    [
                        $0.order.id, $0.order.orderedAt, "\(days($0.order.orderedAt)) d", $0.order.orderedBy,
                        "\($0.order.table.singular) \($0.order.recordId)",
                        $0.confirmed.map(\.office).joined(separator: ", "),
                        $0.outstanding.map { "\($0.office) (since \($0.since.prefix(10)))" }.joined(separator: ", "),
                    ]
                }
                Output.table(
                    header: ["order", "ordered at", "age", "by", "record", "confirmed", "outstanding"], rows: rows)
                let open = statuses.filter { !$0.outstanding.isEmpty }.count
                print("\(statuses.count) order(s), \(open) with offices outstanding")
            }
            for status in overdue {
                Output.warning(
                    "order \(status.order.id) is \(days(status.order.orderedAt)) days old and "
                        + "\(status.outstanding.map(\.office).joined(separator: ", ")) have not carried it out: "
                        + "ask them to sync (docs/data-protection.md)")
            }
            if !overdue.isEmpty { throw ExitCode(65) }
        }
    }

    struct Subject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "subject", abstract: "A person's data across the whole network.",
            subcommands: [Erase.self, Report.self])

        struct Erase: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract:
                    "Erase a contact in every office, as the server's write; offices carry it out on their next sync.")
            @OptionGroup var connection: Connection
            @Argument(help: "The contact's id.") var id: String
            @Option(help: "Why: the request's reference (not the person's name); kept as proof.") var reason: String
            @Flag(help: "Print the erasure order as JSON.") var json = false

            func run() async throws {
                let order = try await connection.client().adminErase(EraseRequest(id: id, reason: reason))
                if json { return try Output.json(order) }
                print("Erased contact \(id) at the server (erasure order \(order.id)).")
                print("Each office carries it out on its next sync; 'syncctl admin erasures' shows which have.")
            }
        }

        struct Report: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Everything the network holds about a person, found by contact id, e-mail or phone.")
            @OptionGroup var connection: Connection
            @Option(help: "The contact's id.") var id: String?
            @Option(help: "The person's e-mail address.") var email: String?
            @Option(help: "The person's phone number (compared by its digits).") var phone: String?
            @OptionGroup var output: ReportOutput

            func validate() throws {
                guard id != nil || email != nil || phone != nil else {
                    throw ValidationError("say whom the report is about: --id, --email or --phone")
                }
            }

            func run() async throws {
                try output.write(
                    try await connection.client().adminSubjectReport(SubjectQuery(id: id, email: email, phone: phone)))
            }
        }
    }

    struct Retention: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The Träger's retention deadlines: set them, list what is due, erase it.",
            discussion: """
                Rules live at the server (docs/data-protection.md, "Retention"). Nothing is erased by a rule \
                alone: 'apply' erases what 'check' lists, each under an erasure order.
                """,
            subcommands: [SetRules.self, Check.self, Apply.self], defaultSubcommand: Check.self)

        struct SetRules: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set", abstract: "Replace the rules with those in a JSON file.")
            @OptionGroup var connection: Connection
            @Argument(help: "The rules file (JSON).") var file: String

            func run() async throws {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw SyncError(.invalidInput, "cannot read \(file): check the path")
                }
                let report = try await connection.client().adminSetRetention(data)
                print("Set \(report.rules?.rules.count ?? 0) retention rule(s); \(report.due.count) record(s) due now.")
            }
        }

        struct Check: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List the records due, with the rule that makes each due.")
            @OptionGroup var connection: Connection
            @Flag(help: "Print the rules and the due records as JSON.") var json = false

            func run() async throws {
                let report = try await connection.client().adminRetention()
                if json { return try Output.json(report) }
                guard let rules = report.rules else {
                    return print(
                        "No retention rules set: 'syncctl admin retention set FILE' (docs/data-protection.md).")
                }
                Output.table(
                    header: ["record", "quartier", "since", "rule"],
                    rows: report.due.map { ["\($0.table.singular) \($0.id)", $0.quartier ?? "", $0.since, $0.rule] })
                print("\(report.due.count) record(s) due under \(rules.rules.count) rule(s)")
                if !report.due.isEmpty { print("Erase them with: syncctl admin retention apply --reason TEXT") }
            }
        }

        struct Apply: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Erase every record due now, each under an erasure order with this reason.")
            @OptionGroup var connection: Connection
            @Option(help: "Why: the decision's reference; kept as proof with the rule.") var reason: String
            @Flag(help: "Print the erasure orders as JSON.") var json = false

            func run() async throws {
                let orders = try await connection.client().adminApplyRetention(reason: reason)
                if json { return try Output.json(orders) }
                print("Erased \(orders.count) record(s); each office carries the orders out on its next sync.")
            }
        }
    }
}
