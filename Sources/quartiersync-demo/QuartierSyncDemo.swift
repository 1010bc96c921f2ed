import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SyncKernel
import SyncServer

/// `quartiersync-demo`: real offices syncing through a real server, narrated. A program of its
/// own, so that the office's `syncctl` carries no server (Hummingbird, TLS, Prometheus).
@main
struct QuartierSyncDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quartiersync-demo",
        abstract: "Show four Hameln quartier offices and the state-wide network syncing through a real sync server.",
        discussion: """
            Everything happens in a temporary directory: the sync server, run in this process on a \
            free loopback port, \
            one replica per office, fictional people, the network's real 2025 dates. The server \
            is stopped and the directory removed at the end (--keep keeps the directory).
            """)

    @Flag(help: "Keep the temporary directory with the replicas and the server store.") var keep = false

    func run() async throws {
        let directory = NSTemporaryDirectory() + "quartiersync-demo-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer {
            if keep { print("\nKept \(directory)") } else { try? FileManager.default.removeItem(atPath: directory) }
        }
        // The server runs in this process, on a free loopback port: the same routes, store and
        // HTTP as `sync-server serve`, without a second program to find.
        let store = try SQLiteServerStore(
            path: directory + "/server.sqlite", logger: Logger(label: "quartiersync.demo.store"))
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        var serverLogger = Logger(label: "quartiersync.demo.server")
        serverLogger.logLevel = .warning
        let app = try SyncServerApplication.build(
            store: store, configuration: ServerConfiguration(port: 0), logger: serverLogger
        ) { port in listening.yield(port) }
        // Stopped gracefully at the end: connections the demo's offices keep open are closed
        // before the server goes, as on SIGTERM.
        let services = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: serverLogger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            guard let port = await ports.first(where: { _ in true }) else { return }
            try await DemoScenario(server: DemoServer(store: store, port: port), directory: directory).play()
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}

/// The demo's server: an in-process sync server and its store.
struct DemoServer {
    let store: SQLiteServerStore
    let port: Int

    /// `http://127.0.0.1:PORT`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Registers an office and returns its token.
    func addOffice(_ name: String, quartiers: [String]) async throws -> String {
        guard let token = try await store.addOffice(name: name, quartiers: quartiers).token else {
            throw SyncError(.replicaExists, "the demo's office \(name) was registered twice")
        }
        return token
    }
}
