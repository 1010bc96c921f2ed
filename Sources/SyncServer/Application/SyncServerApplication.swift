import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import SyncKernel
import SyncProtocol

/// The sync server as a Hummingbird application: the protocol's routes over a store.
///
/// `sync-server serve` runs it until SIGTERM; `quartiersync-demo` runs one in process; the route
/// tests drive its router without a socket (HummingbirdTesting).
///
/// ```swift
/// let store = try SQLiteServerStore(path: "server.sqlite", logger: logger)
/// let app = try SyncServerApplication.build(store: store, configuration: .init(port: 0)) { port in
///     print("listening on 127.0.0.1:\(port)")
/// }
/// try await app.runService()
/// ```
public enum SyncServerApplication {
    /// The router with the protocol's routes on `store`.
    public static func router(
        store: any ServerStore, configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics()
    ) -> Router<SyncRequestContext> {
        let router = Router(context: SyncRequestContext.self)
        SyncRoutes(store: store, configuration: configuration, metrics: metrics).register(on: router)
        return router
    }

    /// An application serving `store`; `onListening` is called with the port once it listens.
    /// `services` run in the application's service group beside the server (a PostgreSQL
    /// store's client) and stop after it.
    ///
    /// Serves HTTPS when the configuration names a certificate and key. Refuses (throws
    /// `invalid-input`) to serve plain HTTP on an address other than loopback unless the
    /// configuration allows it: offices would send tokens and personal data in clear text.
    public static func build(
        store: any ServerStore, configuration: ServerConfiguration,
        logger: Logger = Logger(label: "quartiersync.server"), services: [any Service] = [],
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let http1 = HTTPServerBuilder.http1(
            configuration: .init(idleTimeout: .milliseconds(Int64(configuration.idleTimeout * 1000))))
        let server: HTTPServerBuilder
        if let tls = configuration.tls {
            server = try .tls(http1, tlsConfiguration: try tlsConfiguration(tls))
        } else {
            guard configuration.allowInsecure || Wire.isLoopback(configuration.host) else {
                throw SyncError(
                    .invalidInput,
                    "\(configuration.host) is not a loopback address: serve it with TLS (a certificate and key), "
                        + "or allow plain HTTP explicitly when a TLS proxy on this host is in front",
                    field: "host")
            }
            server = http1
        }
        return Application(
            router: router(store: store, configuration: configuration), server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "sync-server"),
            services: services,
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    static func tlsConfiguration(_ files: ServerConfiguration.TLSFiles) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        } catch {
            throw SyncError(.invalidInput, "\(files.certificate) is not a readable PEM certificate", field: "tls-cert")
        }
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw SyncError(.invalidInput, "\(files.key) is not a readable PEM private key", field: "tls-key")
        }
        guard !chain.isEmpty else {
            throw SyncError(.invalidInput, "\(files.certificate) holds no certificate", field: "tls-cert")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}
