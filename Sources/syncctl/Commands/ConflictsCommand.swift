import ArgumentParser
import SyncCore
import SyncKernel

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
            if json { return try Output.json(conflicts.map(Entry.init)) }
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

        /// One conflict as `conflicts list --json` prints it.
        struct Entry: Encodable {
            /// One competing write.
            struct Version: Encodable {
                var value: String?
                var office: String?
                var replicaId: String
                var counter: UInt64
            }

            var id: String
            var table: String
            var recordId: String
            var field: String
            var shown: String?
            var ancestor: String?
            var versions: [Version]

            init(_ conflict: Conflict) {
                id = conflict.id
                table = conflict.table.rawValue
                recordId = conflict.recordID
                field = conflict.field
                shown = conflict.provisionalWinner.value
                ancestor = conflict.ancestor ?? nil
                versions = conflict.versions.map {
                    Version(
                        value: $0.value, office: $0.office, replicaId: $0.dot.replica.rawValue, counter: $0.dot.counter)
                }
            }

            func encode(to encoder: any Encoder) throws {
                // Empty values are written as null rather than left out: a consumer sees every key.
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(id, forKey: .id)
                try container.encode(table, forKey: .table)
                try container.encode(recordId, forKey: .recordId)
                try container.encode(field, forKey: .field)
                try container.encode(shown, forKey: .shown)
                try container.encode(ancestor, forKey: .ancestor)
                try container.encode(versions, forKey: .versions)
            }

            enum CodingKeys: String, CodingKey { case id, table, recordId, field, shown, ancestor, versions }
        }
    }
}
