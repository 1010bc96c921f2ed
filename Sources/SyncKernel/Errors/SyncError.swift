/// An error a person can act on: what happened, what to do, and a stable code.
///
/// Messages never contain a field's value (a shifted CSV column would put a name or an e-mail
/// address where a date belongs); they name the record by id, the field by column name and the
/// line of a file. Messages speak of the library's terms; where the step to take is a flag
/// of one program, the message leaves it out and that program adds it as a hint from ``code``
/// and ``field`` (`syncctl` and `sync-server` also map codes to exit codes). Some messages of
/// the office's side (a stuck nightly sync, a refused change) do name the `syncctl` command to
/// run: `syncctl` is the only program that shows them.
public struct SyncError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A stable, extensible error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, e.g. `invalid-input`.
        public let name: String

        /// Input that cannot be accepted: a bad date, unknown Handlungsfeld, missing field.
        public static let invalidInput = Code("invalid-input")
        /// A record id that does not exist in this replica.
        public static let notFound = Code("not-found")
        /// No replica at the given path, or it is not a QuartierSync replica.
        public static let replicaUnavailable = Code("replica-unavailable")
        /// A replica already exists where a new one should be created.
        public static let replicaExists = Code("replica-exists")
        /// A CSV file was refused as a whole.
        public static let importRejected = Code("import-rejected")
        /// Stored or received sync data could not be decoded.
        public static let corruptData = Code("corrupt-data")
        /// The database refused an operation (locked, full, read-only, constraint).
        public static let database = Code("database")
        /// The sync server could not be reached (no network, wrong address, server down).
        public static let serverUnreachable = Code("server-unreachable")
        /// The server answered with an error of its own (5xx) or something that is not the protocol.
        public static let serverError = Code("server-error")
        /// The server refused the office's token (missing, wrong or revoked).
        public static let unauthorized = Code("unauthorized")
        /// No server is configured for this replica.
        public static let notConfigured = Code("not-configured")
        /// Another sync of the same replica is running.
        public static let syncInProgress = Code("sync-in-progress")
        /// The server refused a request as malformed (4xx other than 401/403).
        public static let rejected = Code("rejected")

        /// The record was erased under an erasure order already.
        public static let alreadyErased = Code("already-erased")

        /// A code named `name`.
        public init(_ name: String) { self.name = name }

        /// The database is busy (locked by another writer): try again shortly.
        public static let busy = Code("busy")
        /// The disk under a store failed or is full: nothing was written; retry once it has room.
        public static let storage = Code("storage")
        /// A required field is empty or missing (``SyncError/field`` names it).
        public static let missingField = Code("missing-field")
        /// Nothing to change: an edit that names no field.
        public static let emptyChange = Code("empty-change")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// One or two sentences: what happened and what to do.
    public var message: String
    /// A description of the underlying cause, if any (never containing SQL arguments).
    public var cause: String?
    /// The field (column name) the error is about, if one: a command line turns it into the
    /// flag to pass, an import into the column of the file.
    public var field: String?
    /// The line of an imported file the error is about, if one.
    public var line: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, field: String? = nil, line: Int? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.line = line
        self.cause = cause.map { String(describing: $0) }
    }

    public var description: String {
        cause.map { "\(message) (\($0))" } ?? message
    }
}
