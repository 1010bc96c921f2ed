import ArgumentParser
import SyncCore
import SyncKernel
import SyncRemote

/// `syncctl init --office NAME`
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create this office's replica.",
        discussion:
            "The replica works without a server; --server URL --token-file PATH (or 'syncctl remote set' later) adds one. The replica file is created readable by you only."
    )

    @OptionGroup var replica: ReplicaOptions

    @Option(help: "The office's name, e.g. 'Stadtteiltreff Kuckuck'.")
    var office: String

    @OptionGroup var remote: RemoteOptions

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let remote = try remote.remote()
        let created = try Replica.create(at: replica.path, office: office)
        if let (remote, tokenFile) = remote { try created.setRemote(remote, tokenFile: tokenFile) }
        if json {
            try Output.json(["replicaId": created.id.rawValue, "office": created.office, "path": replica.path])
        } else {
            print("Created replica \(created.id) for office '\(created.office)' at \(replica.path)")
        }
    }
}
