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
        let server = try DemoServer.start(binary: try serverBinary ?? DemoServer.locate(), directory: directory)
        defer {
            server.stop()
            if keep { print("\nKept \(directory)") } else { try? FileManager.default.removeItem(atPath: directory) }
        }
        try await DemoScenario(server: server, directory: directory).play()
    }
}

/// The sync-server process the demo starts and stops.
struct DemoServer {
    let process: Process
    let url: String
    let database: String
    let binary: String

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

    static func start(binary: String, directory: String) throws -> DemoServer {
        let database = directory + "/server.sqlite"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--db", database, "--host", "127.0.0.1", "--port", "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(["LOG_LEVEL": "warning"]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The server's first line names the port it chose.
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on "), let port = text.split(separator: ":").last else {
            process.terminate()
            throw SyncError(.serverError, "sync-server did not start: \(text)")
        }
        return DemoServer(process: process, url: "http://127.0.0.1:\(port)", database: database, binary: binary)
    }

    /// Registers an office with the server's own command and returns its token.
    func addOffice(_ name: String, quartier: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["office", "add", name, "--quartier", quartier, "--db", database, "--json"]
        let output = Pipe()
        process.standardOutput = output
        process.environment = ProcessInfo.processInfo.environment.merging(["LOG_LEVEL": "warning"]) { $1 }
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let token = json["token"] as? String
        else {
            throw SyncError(.serverError, "sync-server office add failed for \(name)")
        }
        return token
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()  // SIGTERM: graceful shutdown
        process.waitUntilExit()
    }
}
