import ArgumentParser
import SyncCore
import SyncKernel
import SyncRemote

/// `syncctl status`
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what waits to be synced or decided.")

    @OptionGroup var replica: ReplicaOptions
    @Flag(help: "Print the status as JSON.") var json = false

    func run() throws {
        let status = try replica.open().status()
        if json {
            try Output.json(status)
        } else {
            print("Office:          \(status.office)")
            print("Replica:         \(status.replicaId)")
            print("Contacts:        \(status.contacts)")
            print("Activities:      \(status.activities)")
            print("Pending changes: \(status.pendingChanges)")
            print("Last sync:       \(status.lastSyncAt ?? "never")")
            print("Open conflicts:  \(status.openConflicts)")
        }
    }
}
