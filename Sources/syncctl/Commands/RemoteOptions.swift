import ArgumentParser
import Foundation
import SyncCore
import SyncKernel
import SyncRemote

/// `--server URL --token-file PATH` (`--token-file -`: standard input). The token is never an
/// argument: that would put it in the shell's history and the process list.
struct RemoteOptions: ParsableArguments {
    @Option(help: "The sync server, e.g. https://sync.example.org.") var server: String?
    @Option(
        help: ArgumentHelp(
            "The file holding the office's token (qs_…), which stays where it is; '-' reads it from standard input and keeps it in <replica>.token (mode 0600).",
            valueName: "path"))
    var tokenFile: String?
    @Option(
        help: ArgumentHelp(
            "A PEM file of the certificate authority that signed the server's certificate (a private CA).",
            valueName: "pem"))
    var caFile: String?
    @Flag(
        help:
            "Allow plain http:// to a host other than this machine (the token and data cross the network unencrypted).")
    var allowInsecure = false

    /// What was given: the remote, and the file the token stays in (nil: it came from standard
    /// input, and goes to the replica's own token file). Nil when neither option was passed.
    func remote() throws -> (remote: Remote, tokenFile: String?)? {
        guard server != nil || tokenFile != nil else { return nil }
        guard let server else { throw SyncError(.invalidInput, "a token needs a server: pass --server URL too") }
        guard let tokenFile else {
            throw SyncError(
                .invalidInput,
                "a server needs the office's token: pass --token-file PATH, or --token-file - and type or pipe it")
        }
        let data =
            tokenFile == "-"
            ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: tokenFile)
        guard let data else { throw SyncError(.invalidInput, "cannot read the token file \(tokenFile)") }
        let remote = try Remote(
            server: server, token: String(decoding: data, as: UTF8.self), caFile: caFile.map(Self.absolute),
            allowInsecure: allowInsecure)
        if tokenFile != "-" && Replica.isReadableByOthers(tokenFile) {
            Output.note("\(tokenFile) can be read by other users of this computer: run 'chmod 600 \(tokenFile)'")
        }
        return (remote, tokenFile == "-" ? nil : tokenFile)
    }

    /// `path` from the current directory: a scheduled sync runs elsewhere.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
