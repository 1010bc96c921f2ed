import Foundation
import GRDB
import Logging
import SyncKernel

/// One office's local SQLite replica of contacts and activities, usable with no network.
///
/// Every committed edit to `contacts` or `activities`, from SyncCore or from any other SQLite
/// client, is captured by triggers into the change log (see docs/replica-schema.md). The
/// replica exchanges record states with other stores through ``changes(since:limit:quartiers:)``,
/// ``outgoing(limit:)`` and `apply(_:from:)`, merging with `MergeKernel`.
///
/// ```swift
/// let replica = try Replica.create(at: "/var/lib/quartiersync/kuckuck.sqlite", office: "Kuckuck")
/// let contact = try replica.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"])
/// ```
///
/// A `Replica` owns one GRDB database pool (WAL mode, `synchronous=NORMAL`); it is safe to use
/// from several tasks, and several processes may open the same file.
public final class Replica: Sendable {
    /// This replica's identity; the replica part of every dot it writes.
    public let id: ReplicaID
    /// The office this replica belongs to.
    public let office: String
    /// The database file, or nil for an in-memory replica (tests).
    public let path: String?
    /// Whether this is an office's replica or a server's store.
    public let kind: Kind
    /// The database, for stores built on a replica (the server keeps its office registry in
    /// the same file). Never write the `_sync_*` tables through it.
    public let database: any DatabaseWriter
    let logger: Logger

    /// What a replica is for.
    public enum Kind: String, Sendable {
        /// An office's replica: edits are captured and states are shown in the data tables.
        case office
        /// A server's (or a test relay's) store: it only merges and relays states; its data
        /// tables stay empty.
        case server
    }

    private init(database: any DatabaseWriter, path: String?, logger: Logger) throws {
        self.database = database
        self.path = path
        self.logger = logger
        let identity = try database.read { db -> (String, String, String)? in
            guard try db.tableExists("_sync_state") else { return nil }
            return try db.row(sql: "SELECT replica_id, office, kind FROM _sync_state WHERE id = 1")
                .map { ($0[0], $0[1], $0[2]) }
        }
        guard let identity else {
            throw SyncError(
                .replicaUnavailable,
                "\(path ?? "the database") is not a QuartierSync replica")
        }
        id = ReplicaID(rawValue: identity.0)
        office = identity.1
        kind = Kind(rawValue: identity.2) ?? .office
    }

    /// Creates a new replica file for `office`; fails if the file exists.
    public static func create(
        at path: String, office: String, kind: Kind = .office, logger: Logger = Logger(label: "quartiersync.replica")
    ) throws -> Replica {
        let office = office.trimmingCharacters(in: .whitespaces)
        guard !office.isEmpty else { throw SyncError(.invalidInput, "the office name is empty", field: "office") }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw SyncError(
                .replicaExists,
                "a replica already exists at \(path)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            // Personal data: a directory made for the replica is the user's alone.
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // The file exists, empty and readable by its owner only, before SQLite opens it; SQLite
        // gives its -wal and -shm files the same permissions.
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        else {
            throw SyncError(.database, "cannot create \(path): check the directory's permissions")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let pool = try openPool(path)
        try initialise(pool, office: office, kind: kind)
        logger.info("created replica", metadata: ["path": "\(path)"])
        return try Replica(database: pool, path: path, logger: logger)
    }

    /// Opens an existing replica file.
    public static func open(at path: String, logger: Logger = Logger(label: "quartiersync.replica")) throws
        -> Replica
    {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SyncError(
                .replicaUnavailable,
                "no replica at \(path)")
        }
        let pool = try openPool(path)
        guard try pool.read({ try $0.tableExists("_sync_state") }) else {
            throw SyncError(
                .replicaUnavailable,
                "\(path) is not a QuartierSync replica")
        }
        try ReplicaSchema.migrator.migrate(pool)
        return try Replica(database: pool, path: path, logger: logger)
    }

    /// A replica in memory, for tests and benchmarks: the same schema, triggers and merge.
    public static func inMemory(
        office: String, kind: Kind = .office, logger: Logger = Logger(label: "quartiersync.replica")
    ) throws -> Replica {
        let queue = try DatabaseQueue(configuration: configuration)
        try initialise(queue, office: office, kind: kind)
        return try Replica(database: queue, path: nil, logger: logger)
    }

    static var configuration: Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.run(sql: "PRAGMA synchronous = NORMAL")
            // 16 MB of page cache: a sync page or an import stays in memory until commit.
            try db.run(sql: "PRAGMA cache_size = -16384")
            try db.run(sql: "PRAGMA temp_store = MEMORY")
            try db.run(sql: "PRAGMA wal_autocheckpoint = 8192")
        }
        return configuration
    }

    private static func openPool(_ path: String) throws -> DatabasePool {
        do {
            return try DatabasePool(path: path, configuration: configuration)
        } catch let error as DatabaseError where diskTrouble(error) != nil {
            throw SyncError(.storage, "cannot open the replica at \(path): \(diskTrouble(error)!)", cause: error)
        } catch {
            throw SyncError(
                .replicaUnavailable, "cannot open the replica at \(path): check the path and its permissions",
                cause: error)
        }
    }

    /// What a disk's failure means for the person at the office, or nil when `error` is no
    /// disk failure (a missing file, a lock, a constraint).
    static func diskTrouble(_ error: DatabaseError) -> String? {
        switch error.resultCode {
        case .SQLITE_FULL:
            "the disk is full: free some space (or move the replica to a disk with room), then run the command "
                + "again; nothing acknowledged was lost"
        case .SQLITE_IOERR:
            "the disk failed to read or write it (I/O error): check the disk (free space, the system log), then "
                + "run the command again; nothing acknowledged was lost"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            "the file is damaged or not a replica: restore it from a backup (docs/operations.md)"
        default: nil
        }
    }

    private static func initialise(_ database: any DatabaseWriter, office: String, kind: Kind) throws {
        try ReplicaSchema.migrator.migrate(database)
        try database.write { db in
            let identity = ReplicaID.random()
            try db.run(
                sql: "INSERT INTO _sync_state (id, replica_id, office, kind) VALUES (1, ?, ?, ?)",
                arguments: [identity.rawValue, office, kind.rawValue])
            try db.run(
                sql: "INSERT INTO _sync_replicas (replica_id, office) VALUES (?, ?)",
                arguments: [identity.rawValue, office])
        }
    }

    /// Runs `body` in one write transaction, mapping database failures to ``SyncError``.
    package func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.write(body)
        } catch {
            throw Self.writeError(error)
        }
    }

    /// Runs `body` in one write transaction without blocking the caller's thread (GRDB's
    /// async access): what the server's request handlers use.
    package func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await database.write(body)
        } catch {
            throw Self.writeError(error)
        }
    }

    /// Runs `body` in a read transaction, mapping database failures to ``SyncError``.
    package func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw Self.readError(error)
        }
    }

    /// Runs `body` in a read transaction without blocking the caller's thread.
    package func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await database.read(body)
        } catch {
            throw Self.readError(error)
        }
    }

    private static func writeError(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        if let trouble = diskTrouble(error) {
            return SyncError(.storage, "the replica could not be written: \(trouble)", cause: error)
        }
        return SyncError(
            code(error), "the replica database refused the change (\(error.resultCode)): nothing was written",
            cause: error)
    }

    private static func readError(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        if let trouble = diskTrouble(error) {
            return SyncError(.storage, "the replica could not be read: \(trouble)", cause: error)
        }
        return SyncError(code(error), "the replica database could not be read (\(error.resultCode))", cause: error)
    }

    /// `busy` where waiting helps (another writer holds the lock), `database` otherwise.
    private static func code(_ error: DatabaseError) -> SyncError.Code {
        [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode) ? .busy : .database
    }
}
