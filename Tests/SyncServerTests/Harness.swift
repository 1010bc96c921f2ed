import Foundation
import SyncCore
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The directory holding the built executables (next to this test bundle).
enum Binaries {
    static var directory: String {
        Bundle.main.executableURL?.deletingLastPathComponent().path ?? ".build/debug"
    }
    static var server: String { directory + "/sync-server" }
    static var syncctl: String { directory + "/syncctl" }
}

extension SyncServerProcess {
    /// A real `sync-server` on a free loopback port, with its store in `workspace`.
    static func start(in workspace: Workspace) throws -> SyncServerProcess {
        try start(binary: Binaries.server, database: workspace.path + "/server.sqlite")
    }
}

/// What a finished command printed.
struct CommandResult {
    var status: Int32
    var output: String
    var error: String

    func json() throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "not JSON: \(output) \(error)")
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> CommandResult
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
            error: String(decoding: err, as: UTF8.self))
    }
}

/// One office: its replica file, driven through the real `syncctl`.
struct OfficeReplica {
    let name: String
    let path: String
    let home: String

    init(_ name: String, directory: String, server: SyncServerProcess, quartiers: [String]) throws {
        self.name = name
        path = directory + "/" + name.lowercased().filter(\.isLetter) + ".sqlite"
        home = directory
        let token = try server.addOffice(name, quartiers: quartiers)
        let tokenFile = directory + "/" + name.filter(\.isLetter) + ".token"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let result = try syncctl(["init", "--office", name, "--server", server.url, "--token-file", tokenFile])
        #expect(result.status == 0, "\(result.error)")
    }

    @discardableResult
    func syncctl(_ arguments: [String]) throws -> CommandResult {
        try CommandResult.run(
            Binaries.syncctl, arguments + ["--replica", path],
            environment: ["HOME": home, "XDG_DATA_HOME": home + "/data"])
    }

    /// Starts `syncctl ARGS` without waiting (to kill it).
    func launch(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.syncctl)
        process.arguments = arguments + ["--replica", path]
        process.environment = ["HOME": home, "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func sync() throws -> [String: Any] {
        let result = try syncctl(["sync", "--json"])
        #expect(result.status == 0, "sync of \(name) failed: \(result.error)")
        return try result.json()
    }

    func status() throws -> [String: Any] { try syncctl(["status", "--json"]).json() }

    func replica() throws -> Replica { try Replica.open(at: path) }

    func contacts() throws -> [Replica.Values] { try replica().records(.contacts) }
}

/// A temporary directory for one test.
final class Workspace: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "quartiersync-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
