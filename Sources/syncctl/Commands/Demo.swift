import ArgumentParser
import Foundation
import SyncCore

/// `syncctl demo`: real offices syncing through a real server, narrated.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show four Hameln quartier offices and the state-wide network syncing through a real sync-server.",
        discussion: """
            Everything happens in a temporary directory: a sync-server on a free loopback port, \
            one replica per office, fictional people, the network's real 2025 dates. The server \
            is stopped and the directory removed at the end (--keep keeps the directory).
            """)

    @Option(help: "The sync-server executable (default: next to syncctl, then $PATH).") var serverBinary: String?
    @Flag(help: "Keep the temporary directory with the replicas and the server store.") var keep = false

    func run() async throws {
        let directory = NSTemporaryDirectory() + "quartiersync-demo-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = try SyncServerProcess.start(
            binary: try serverBinary ?? ServerBinary.locate(), database: directory + "/server.sqlite")
        defer {
            server.stop()
            if keep { print("\nKept \(directory)") } else { try? FileManager.default.removeItem(atPath: directory) }
        }
        try await DemoScenario(server: server, directory: directory).play()
    }
}

/// Where the demo finds `sync-server`.
enum ServerBinary {
    static func locate() throws -> String {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates =
            [here.appendingPathComponent("sync-server").path]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/sync-server" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw SyncError(
                .invalidInput,
                "sync-server not found next to syncctl or on PATH: run 'swift build' first, or pass --server-binary")
        }
        return found
    }
}
