import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `sync-server serve [--db PATH] [--host 127.0.0.1] [--port 8080]`
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the sync protocol until SIGTERM or SIGINT.",
        discussion: """
            On SIGTERM the server stops accepting connections and lets requests in flight finish; \
            a batch being stored is committed or rolled back whole. With --port 0 a free port is \
            chosen; the first line on standard output says which ('listening on HOST:PORT').
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port).") var port = 8080
    @Option(help: "The largest request body accepted, in bytes.") var maxBodyBytes = 64 << 20

    func run() async throws {
        let logger = Logger(label: "quartiersync.server")
        let store = try store.open()
        let router = Router()
        SyncRoutes(store: store, maxBodyBytes: maxBodyBytes).register(on: router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "sync-server"),
            onServerRunning: { channel in
                let address = channel.localAddress
                print("listening on \(address?.ipAddress ?? "?"):\(address?.port ?? 0)")
                fflush(nil)
            },
            logger: logger)
        try await app.runService()
        logger.info("stopped")
    }
}
