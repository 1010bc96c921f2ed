import ArgumentParser
import Foundation
import SyncCore
import SyncKernel
import SyncRemote

/// `--server URL --token T` (or `--token-file PATH`, `--token-file -` for standard input).
struct RemoteOptions: ParsableArguments {
    @Option(help: "The sync server, e.g. http://127.0.0.1:8080.") var server: String?
    @Option(help: "The office token (starts with qs_). Prefer --token-file to keep it out of shell history.")
    var token: String?
    @Option(help: "Read the token from this file ('-': standard input).") var tokenFile: String?

    /// The remote given, nil when neither server nor token was passed.
    func remote() throws -> Remote? {
        guard server != nil || token != nil || tokenFile != nil else { return nil }
        guard let server else { throw SyncError(.invalidInput, "a token needs a server: pass --server URL too") }
        let token: String
        if let explicit = self.token {
            token = explicit
        } else if let tokenFile {
            let data =
                tokenFile == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: tokenFile)
            guard let data else { throw SyncError(.invalidInput, "cannot read the token file \(tokenFile)") }
            token = String(decoding: data, as: UTF8.self)
        } else {
            throw SyncError(.invalidInput, "a server needs the office's token: pass --token qs_… or --token-file PATH")
        }
        return try Remote(server: server, token: token)
    }
}
