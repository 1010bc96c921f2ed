import ArgumentParser
import SyncCore
import SyncKernel
import SyncRemote

/// `syncctl remote set|show`
struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote", abstract: "Set or show the sync server of this replica.",
        subcommands: [Set.self, Show.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the server and the office's token.")

        @OptionGroup var replica: ReplicaOptions
        @OptionGroup var remote: RemoteOptions

        func run() throws {
            guard let (remote, tokenFile) = try remote.remote() else {
                throw SyncError(.invalidInput, "pass --server URL and --token-file PATH (or --token-file - to type it)")
            }
            let replica = try replica.open()
            try replica.setRemote(remote, tokenFile: tokenFile)
            print(
                "This replica now syncs with \(remote.serverURL); its token is in \(tokenFile ?? replica.defaultTokenFile ?? "memory")"
            )
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the server (never the token).")

        @OptionGroup var replica: ReplicaOptions

        func run() throws {
            if let remote = try replica.open().remote() {
                print("server: \(remote.serverURL)")
            } else {
                print("no server: this replica works alone ('syncctl remote set' adds one)")
            }
        }
    }
}
