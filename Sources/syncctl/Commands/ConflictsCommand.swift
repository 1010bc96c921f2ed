import ArgumentParser
import SyncCore

/// `syncctl conflicts list`
struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts", abstract: "Show conflicts that wait for a person.", subcommands: [List.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List open conflicts: each field edited differently by two offices, and deletes against edits.")

        @OptionGroup var replica: ReplicaOptions
        @Flag(help: "Print an array of conflicts as JSON.") var json = false

        func run() throws {
            let conflicts = try replica.open().conflicts()
            if json {
                print("[" + conflicts.map(Self.object).joined(separator: ",\n ") + "]")
                return
            }
            guard !conflicts.isEmpty else {
                print("No open conflicts.")
                return
            }
            for conflict in conflicts {
                print("\(conflict.id)  \(conflict.table.singular) \(conflict.recordID)  field \(conflict.field)")
                for (index, version) in conflict.versions.enumerated().reversed() {
                    let marker = index == conflict.versions.count - 1 ? "shown" : "     "
                    print(
                        "    \(marker)  \(version.value.map { "'\($0)'" } ?? "(empty)")  from \(version.office ?? version.dot.replica.rawValue)"
                    )
                }
            }
            print("\(conflicts.count) open conflict\(conflicts.count == 1 ? "" : "s")")
        }

        static func object(_ conflict: Conflict) -> String {
            let versions = conflict.versions.map { version in
                Output.RawJSON(
                    text: "{\"value\": \(Output.value(version.value)), \"office\": \(Output.value(version.office)), "
                        + "\"replicaId\": \(Output.quote(version.dot.replica.rawValue)), \"counter\": \(version.dot.counter)}"
                )
            }
            let ancestor: String? = conflict.ancestor ?? nil
            return "{\"id\": \(Output.quote(conflict.id)), \"table\": \(Output.quote(conflict.table.rawValue)), "
                + "\"recordId\": \(Output.quote(conflict.recordID)), \"field\": \(Output.quote(conflict.field)), "
                + "\"shown\": \(Output.value(conflict.provisionalWinner.value)), "
                + "\"ancestor\": \(Output.value(ancestor)), \"versions\": \(Output.value(versions))}"
        }
    }
}
