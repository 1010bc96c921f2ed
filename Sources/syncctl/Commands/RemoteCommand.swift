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
            let replica = try replica.open()
            var options = remote
            // A new address keeps the token file (and private CA) already set: the token
            // belongs to the office, not to the address.
            if options.server != nil, options.tokenFile == nil, let current = try replica.remoteSettings(),
                let file = current.tokenFile
            {
                options.tokenFile = file
                if options.caFile == nil { options.caFile = current.caFile }
            }
            guard let (remote, tokenFile) = try options.remote() else {
                throw SyncError(.invalidInput, "pass --server URL and --token-file PATH (or --token-file - to type it)")
            }
            try replica.setRemote(remote, tokenFile: tokenFile)
            print(
                "This replica now syncs with \(remote.serverURL); its token is in \(tokenFile ?? replica.defaultTokenFile ?? "memory")"
            )
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show the server, the token's file, the private CA and whether plain HTTP is allowed (never the token)."
        )

        @OptionGroup var replica: ReplicaOptions
        @Flag(help: "Print the settings as JSON.") var json = false

        func run() throws {
            guard let settings = try replica.open().remoteSettings() else {
                if json { return Swift.print("null") }
                return print("no server: this replica works alone ('syncctl remote set' adds one)")
            }
            if json { return try Output.json(settings) }
            print("server:     \(settings.server)")
            print("token file: \(settings.tokenFile ?? "(kept inside the replica)")")
            if let ca = settings.caFile { print("CA file:    \(ca)") }
            if settings.allowInsecure {
                print("plain HTTP: allowed to hosts other than this machine (--allow-insecure)")
            }
        }
    }
}
