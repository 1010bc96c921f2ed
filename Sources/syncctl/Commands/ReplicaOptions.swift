import ArgumentParser
import Foundation
import SyncCore
import SyncKernel

/// `--replica PATH`, shared by every command.
struct ReplicaOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The replica file.",
            discussion: "Default: $SYNCCTL_REPLICA, else $XDG_DATA_HOME/quartiersync/replica.sqlite.",
            valueName: "path"))
    var replica: String?

    /// The path in effect: the flag, the environment, or the user's data directory.
    var path: String {
        if let replica { return replica }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["SYNCCTL_REPLICA"], !path.isEmpty { return path }
        let data =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return data + "/quartiersync/replica.sqlite"
    }

    /// Opens the replica, or fails with a message saying how to create one.
    func open() throws -> Replica { try Replica.open(at: path) }
}
