import Foundation
import SyncCore
import SyncKernel
import SyncRemote
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension SyncServerProcess {
    /// A real `sync-server` on a free loopback port, with its store in `workspace`.
    static func start(in workspace: TemporaryDirectory, arguments: [String] = [], launcher: [String] = []) throws
        -> SyncServerProcess
    {
        try start(
            binary: Binaries.server, database: workspace.path + "/server.sqlite", arguments: arguments,
            launcher: launcher)
    }
}

/// One office: its replica file, driven through the real `syncctl`.
struct OfficeReplica {
    let name: String
    let path: String
    let home: String

    /// Registers the office on `server` and makes its replica with `syncctl init` (and
    /// `initArguments`, such as `--ca-file`).
    init(
        _ name: String, directory: String, server: SyncServerProcess, quartiers: [String],
        initArguments: [String] = []
    ) throws {
        self.name = name
        path = directory + "/" + name.lowercased().filter(\.isLetter) + ".sqlite"
        home = directory
        let token = try server.addOffice(name, quartiers: quartiers)
        let tokenFile = directory + "/" + name.filter(\.isLetter) + ".token"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let result = try syncctl(
            ["init", "--office", name, "--server", server.url, "--token-file", tokenFile] + initArguments)
        #expect(result.status == 0, "\(result.error)")
    }

    @discardableResult
    func syncctl(_ arguments: [String], input: String? = nil) throws -> Command.Result {
        try Command.run(
            Binaries.syncctl, arguments + ["--replica", path],
            environment: ["HOME": home, "XDG_DATA_HOME": home + "/data"], input: input)
    }

    /// Starts `syncctl ARGS` without waiting (to kill it).
    func launch(_ arguments: [String]) throws -> Process {
        try Command.launch(Binaries.syncctl, arguments + ["--replica", path], environment: ["HOME": home])
    }

    func sync() throws -> [String: Any] {
        let result = try syncctl(["sync", "--json"])
        #expect(result.status == 0, "sync of \(name) failed: \(result.error)")
        return try result.object()
    }

    func status() throws -> [String: Any] { try syncctl(["status", "--json"]).object() }

    func replica() throws -> Replica { try Replica.open(at: path) }

    func contacts() throws -> [RecordValues] { try replica().records(.contacts) }
}
