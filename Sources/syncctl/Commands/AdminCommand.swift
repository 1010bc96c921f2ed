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
        subcommands: [Conflicts.self, Offices.self])

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
}
