/// An error a person can act on: what happened, what to do, and a stable code.
///
/// Messages never contain personal data (names, e-mail addresses, phone numbers); they refer
/// to records by id. The CLI prints ``message`` on one line and exits with the code's
/// ``Code/exitCode``.
public struct SyncError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A stable, extensible error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, e.g. `invalid-input`.
        public let name: String
        /// The process exit code the CLI uses for it (documented in docs/operations.md).
        public let exitCode: Int32

        /// Input that cannot be accepted: a bad date, unknown Handlungsfeld, missing field.
        public static let invalidInput = Code(name: "invalid-input", exitCode: 65)
        /// A record id that does not exist in this replica.
        public static let notFound = Code(name: "not-found", exitCode: 66)
        /// No replica at the given path, or it is not a QuartierSync replica.
        public static let replicaUnavailable = Code(name: "replica-unavailable", exitCode: 69)
        /// A replica already exists where a new one should be created.
        public static let replicaExists = Code(name: "replica-exists", exitCode: 73)
        /// A CSV file was refused as a whole.
        public static let importRejected = Code(name: "import-rejected", exitCode: 65)
        /// Stored or received sync data could not be decoded.
        public static let corruptData = Code(name: "corrupt-data", exitCode: 70)
        /// The database refused an operation (locked, full, read-only, constraint).
        public static let database = Code(name: "database", exitCode: 74)
        /// The sync server could not be reached (no network, wrong address, server down).
        public static let serverUnreachable = Code(name: "server-unreachable", exitCode: 75)
        /// The server answered with an error of its own (5xx) or something that is not the protocol.
        public static let serverError = Code(name: "server-error", exitCode: 76)
        /// The server refused the office's token (missing, wrong or revoked).
        public static let unauthorized = Code(name: "unauthorized", exitCode: 77)
        /// No server is configured for this replica.
        public static let notConfigured = Code(name: "not-configured", exitCode: 78)
        /// Another sync of the same replica is running.
        public static let syncInProgress = Code(name: "sync-in-progress", exitCode: 79)
        /// The server refused a request as malformed (4xx other than 401/403).
        public static let rejected = Code(name: "rejected", exitCode: 65)

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// One or two sentences: what happened and what to do.
    public var message: String
    /// A description of the underlying cause, if any (never containing SQL arguments).
    public var cause: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause.map { String(describing: $0) }
    }

    public var description: String {
        cause.map { "\(message) (\($0))" } ?? message
    }
}
