import Hummingbird
import Logging

/// The sync server as a Hummingbird application: the protocol's routes over a store.
///
/// `sync-server serve` runs it until SIGTERM; `syncctl demo` runs one in process; the route
/// tests drive its router without a socket (HummingbirdTesting).
///
/// ```swift
/// let store = try SQLiteServerStore(path: "server.sqlite", logger: logger)
/// let app = SyncServerApplication.build(store: store, configuration: .init(port: 0)) { port in
///     print("listening on 127.0.0.1:\(port)")
/// }
/// try await app.runService()
/// ```
public enum SyncServerApplication {
    /// The router with the protocol's routes on `store`.
    public static func router(
        store: any ServerStore, configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics()
    ) -> Router<BasicRequestContext> {
        let router = Router()
        SyncRoutes(store: store, maxBodyBytes: configuration.maxBodyBytes, metrics: metrics).register(on: router)
        return router
    }

    /// An application serving `store`; `onListening` is called with the port once it listens.
    public static func build(
        store: any ServerStore, configuration: ServerConfiguration,
        logger: Logger = Logger(label: "quartiersync.server"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(store: store, configuration: configuration),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "sync-server"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}
