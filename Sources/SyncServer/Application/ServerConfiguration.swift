/// How a sync server listens, and the limits it keeps. Every field has a default that suits
/// one server on one machine.
public struct ServerConfiguration: Sendable {
    /// The address to listen on. Default `127.0.0.1`: only this machine. Any other address
    /// needs TLS (``tls``) unless ``allowInsecure`` is set (docs/security.md).
    public var host: String
    /// The port; 0 picks a free one. Default 8080.
    public var port: Int
    /// The largest push body accepted, compressed or not. Default 64 MiB.
    public var maxBodyBytes: Int
    /// The most states (and evictions) one push may carry. Default 50,000.
    public var maxStatesPerBatch: Int
    /// The longest text a pushed field may hold, in characters. Default 10,000.
    public var maxFieldLength: Int
    /// Failed authentications from one address within ``failedLoginWindow`` after which it is
    /// answered 429 until the window has passed; 0 turns the slowdown off. Default 30.
    public var failedLoginLimit: Int
    /// The window of ``failedLoginLimit``, in seconds. Default 60.
    public var failedLoginWindow: Double
    /// Requests one office may have running at once; more are answered 429 `slow-down`. 0: no
    /// limit. Default 4 (a sync sends one request at a time; a few laptops of one office may
    /// sync together).
    public var officeConcurrency: Int
    /// Requests one office may start per minute (a bucket of that size, refilled evenly); more
    /// are answered 429 `slow-down`. 0: no limit. Default 1,200 (a sync of 100,000 records
    /// needs about 100).
    public var officeRequestsPerMinute: Int
    /// Seconds a connection may stay silent (no request, or a request body that stops
    /// arriving) before the server closes it. Default 60.
    public var idleTimeout: Double
    /// The certificate and key to serve HTTPS with; nil serves plain HTTP.
    public var tls: TLSFiles?
    /// Serve plain HTTP on an address other than loopback (behind a TLS proxy on the same
    /// host, say). Default false.
    public var allowInsecure: Bool

    /// PEM files of the server's certificate (chain) and private key.
    public struct TLSFiles: Sendable {
        /// The certificate chain, leaf first.
        public var certificate: String
        /// The private key.
        public var key: String

        /// Names the two files.
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 << 20, maxStatesPerBatch: Int = 50_000,
        maxFieldLength: Int = 10_000, failedLoginLimit: Int = 30, failedLoginWindow: Double = 60,
        officeConcurrency: Int = 4, officeRequestsPerMinute: Int = 1200, idleTimeout: Double = 60,
        tls: TLSFiles? = nil, allowInsecure: Bool = false
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxStatesPerBatch = maxStatesPerBatch
        self.maxFieldLength = maxFieldLength
        self.failedLoginLimit = failedLoginLimit
        self.failedLoginWindow = failedLoginWindow
        self.officeConcurrency = officeConcurrency
        self.officeRequestsPerMinute = officeRequestsPerMinute
        self.idleTimeout = idleTimeout
        self.tls = tls
        self.allowInsecure = allowInsecure
    }
}
