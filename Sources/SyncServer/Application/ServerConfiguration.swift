/// How a sync server listens. Every field has a default that suits one server on one machine.
public struct ServerConfiguration: Sendable {
    /// The address to listen on. Default `127.0.0.1`: only this machine (put a TLS proxy in
    /// front to serve offices elsewhere; docs/operations.md).
    public var host: String
    /// The port; 0 picks a free one. Default 8080.
    public var port: Int
    /// The largest push body accepted, compressed or not. Default 64 MiB.
    public var maxBodyBytes: Int

    /// Creates a configuration.
    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 << 20) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
    }
}
