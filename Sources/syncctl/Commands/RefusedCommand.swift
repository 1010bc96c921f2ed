import ArgumentParser
import SyncCore
import SyncKernel

/// `syncctl refused list|discard`: the local changes the server refused, and letting go of one
/// on purpose.
struct RefusedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refused", abstract: "List the local changes the server refused, or let go of one.",
        discussion: """
            A refused change stays here, marked, and 'syncctl status' warns about it until a later \
            push of the record is taken. When it can never be taken (the record was deleted here, \
            or it belongs to another office), let go of it with 'syncctl refused discard ID \
            --reason TEXT': the mark goes, the reason is kept ('syncctl refused list --discarded').
            """,
        subcommands: [List.self, Discard.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List refused changes, with what to do about each.")

        @OptionGroup var replica: ReplicaOptions
        @Flag(help: "List the refusals let go of instead, with their reasons.") var discarded = false
        @Flag(help: "Print the list as JSON.") var json = false

        func run() throws {
            let replica = try replica.open()
            if discarded {
                let notes = try replica.discardedRefusals()
                if json { return try Output.json(notes) }
                guard !notes.isEmpty else { return print("No refused change was let go of.") }
                Output.table(
                    header: ["discarded", "table", "id", "code", "reason"],
                    rows: notes.map { [$0.discardedAt, $0.table, $0.id, $0.code, $0.reason] })
                return
            }
            let refused = try replica.refusedWrites()
            if json { return try Output.json(refused) }
            guard !refused.isEmpty else { return print("No refused changes.") }
            for refusal in refused {
                print(
                    "\(refusal.table) \(refusal.id) (\(refusal.code), \(refusal.refusedAt ?? "-")): \(refusal.message)")
                print("  to do: \(Status.advice(for: refusal))")
                print("  or let go of it: syncctl refused discard \(refusal.id) --reason TEXT")
            }
        }
    }

    struct Discard: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let go of a refused change on purpose: its mark and the warning go, the reason is kept.",
            discussion: """
                The record stays as this replica holds it (deleted, or with the change the server \
                refused); the change is not sent again unless the record is changed again here. \
                Write no personal data into the reason.
                """)

        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "The record's id (as 'syncctl refused list' shows it).") var id: String
        @Option(help: "Why the change is let go of (kept with the note).") var reason: String
        @Option(help: "contacts or activities, when both have a refused record with this id.") var table: SyncTable?
        @Flag(help: "Print what was let go of as JSON.") var json = false

        func run() throws {
            let refusal = try replica.open().discardRefusal(id: id, table: table, reason: reason)
            if json { return try Output.json(refusal) }
            print("Let go of the refused change of \(refusal.table) \(refusal.id) (\(refusal.code)).")
        }
    }
}
