import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SyncServer

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
        let app = SyncServerApplication.build(
            store: try store.open(),
            configuration: ServerConfiguration(host: host, port: port, maxBodyBytes: maxBodyBytes), logger: logger
        ) { [host] port in
            print("listening on \(host):\(port)")
            fflush(nil)
        }
        try await app.runService()
        logger.info("stopped")
    }
}
