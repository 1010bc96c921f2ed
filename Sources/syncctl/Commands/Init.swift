import ArgumentParser
import SyncCore

/// `syncctl init --office NAME`
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create this office's replica.",
        discussion: "The replica works without a server; a server can be added later.")

    @OptionGroup var replica: ReplicaOptions

    @Option(help: "The office's name, e.g. 'Stadtteiltreff Kuckuck'.")
    var office: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let created = try Replica.create(at: replica.path, office: office)
        if json {
            Output.json(["replicaId": created.id.rawValue, "office": created.office, "path": replica.path])
        } else {
            print("Created replica \(created.id) for office '\(created.office)' at \(replica.path)")
        }
    }
}
