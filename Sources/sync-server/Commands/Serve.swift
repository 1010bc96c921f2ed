import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SyncProtocol
import SyncServer

/// `sync-server serve [--db PATH | --store URL [--migrate]] [--host 127.0.0.1] [--port 8080] [--tls-cert PEM --tls-key PEM]`
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the sync protocol until SIGTERM or SIGINT.",
        discussion: """
            On SIGTERM the server stops accepting connections and lets requests in flight finish; \
            a batch being stored is committed or rolled back whole. With --port 0 a free port is \
            chosen; the first line on standard output says which ('listening on HOST:PORT'). \
            Any address but loopback needs --tls-cert and --tls-key (or --allow-insecure, when a \
            TLS proxy on this host is in front): offices send tokens and personal data.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port).") var port = 8080
    @Option(help: ArgumentHelp("The server's certificate chain (PEM): serve HTTPS.", valueName: "pem"))
    var tlsCert: String?
    @Option(help: ArgumentHelp("The certificate's private key (PEM).", valueName: "pem")) var tlsKey: String?
    @Flag(help: "Serve plain HTTP on an address other than loopback (only behind a TLS proxy on this host).")
    var allowInsecure = false
    @Option(help: "The largest request body accepted, in bytes.") var maxBodyBytes = 64 << 20
    @Option(help: "The most states one push may carry.") var maxStates = 50_000
    @Option(help: "The longest text a field may hold, in characters.") var maxFieldLength = 10_000
    @Option(help: "Seconds a silent connection (or a stalled request) is kept open.") var idleTimeout = 60.0
    @Option(help: "Failed logins from one address per minute before it is answered 429 (0: no limit).")
    var failedLoginLimit = 30
    @Option(help: "Requests one office may have running at once before it is answered 429 (0: no limit).")
    var officeConcurrency = 4
    @Option(help: "Requests one office may start per minute before it is answered 429 (0: no limit).")
    var officeRequestsPerMinute = 1200
    @Flag(help: "Bring a PostgreSQL store's tables to this release's version first (as 'sync-server migrate').")
    var migrate = false

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: give both, or neither")
        }
        // Checked before the store is opened (and created): a refused start leaves no file behind.
        guard tlsCert != nil || allowInsecure || Wire.isLoopback(host) else {
            throw ValidationError(
                "\(host) is not a loopback address: serve it with TLS (--tls-cert and --tls-key), or allow plain "
                    + "HTTP explicitly with --allow-insecure when a TLS proxy on this host is in front")
        }
        guard maxBodyBytes > 0, maxStates > 0, maxFieldLength > 0, idleTimeout > 0, failedLoginLimit >= 0,
            officeConcurrency >= 0, officeRequestsPerMinute >= 0
        else {
            throw ValidationError(
                "limits must be positive (--failed-login-limit, --office-concurrency and --office-requests-per-minute may be 0: no limit)"
            )
        }
    }

    func run() async throws {
        let logger = Logger(label: "quartiersync.server")
        let configuration = ServerConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyBytes, maxStatesPerBatch: maxStates,
            maxFieldLength: maxFieldLength, failedLoginLimit: failedLoginLimit, officeConcurrency: officeConcurrency,
            officeRequestsPerMinute: officeRequestsPerMinute, idleTimeout: idleTimeout,
            tls: tlsCert.map { ServerConfiguration.TLSFiles(certificate: $0, key: tlsKey!) },
            allowInsecure: allowInsecure)
        let listening: @Sendable (Int) async -> Void = { [host] port in
            print("listening on \(host):\(port)")
            fflush(nil)
        }
        if let settings = try store.postgres() {
            // The store's connection pool runs in the application's service group and stops
            // after the server has let its last request finish.
            let postgres = try await PostgresServerStore.open(
                settings, migration: migrate ? .apply : .refuse, logger: Logger(label: "quartiersync.store"))
            logger.info("serving the PostgreSQL store", metadata: ["store": "\(settings.description)"])
            let app = try SyncServerApplication.build(
                store: postgres, configuration: configuration, logger: logger, services: [postgres.client],
                onListening: listening)
            try await app.runService()
        } else {
            let app = try SyncServerApplication.build(
                store: try store.open(creating: true), configuration: configuration, logger: logger,
                onListening: listening)
            try await app.runService()
        }
        logger.info("stopped")
    }
}
