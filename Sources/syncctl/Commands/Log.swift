import ArgumentParser
import SyncCore
import SyncKernel
import SyncRemote

/// `syncctl log`
struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show this replica's sync history, newest first.")

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "How many syncs to show.") var limit = 20
    @Flag(help: "Print an array of syncs as JSON.") var json = false

    func run() throws {
        let runs = try replica.open().syncRuns(limit: limit)
        if json { return try Output.json(runs) }
        guard !runs.isEmpty else {
            print("No syncs yet.")
            return
        }
        Output.table(
            header: ["started", "result", "ms", "sent", "received", "merged", "conflicts", "error"],
            rows: runs.map {
                [
                    $0.startedAt, $0.result, String($0.durationMs), String($0.sent), String($0.received),
                    String($0.merged),
                    String($0.conflicts), $0.error ?? "",
                ]
            })
    }
}
