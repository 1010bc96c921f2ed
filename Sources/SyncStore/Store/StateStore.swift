import Foundation
import GRDB
import Logging
import SyncKernel

/// What every store keeps of the records it exchanges: their states, the changes feed, their
/// routes and former routes, what it knows of each replica's writes, peers' positions and the
/// conflicts in the states — and nothing else. No data tables, no capture triggers.
///
/// The server's store is a `StateStore` with the server's own tables beside it in one file
/// (its own migrations after ``StoreSchema``'s). An office's `Replica` is a `StateStore` plus
/// the tables people and tools see (`contacts`, `activities`, `resolutions`), the triggers that
/// capture their edits, the fold of those edits into states, and CSV.
///
/// ```swift
/// let store = try StateStore.inMemory(name: "sync-server")
/// try await store.apply(pushed, from: .downstream(acknowledging: nil))
/// let page = try await store.encodedChanges(since: 0, limit: 500, quartiers: ["kuckuck"])
/// ```
///
/// A `StateStore` owns one GRDB database pool (WAL mode, `synchronous=NORMAL`); it is safe to
/// use from several tasks. Its writer stays inside the package: other code reads through
/// ``reader``.
public final class StateStore: Sendable {
    /// The store's identity: the replica part of every dot it writes itself (an office's
    /// edits, a server's settlements for an admin).
    public let id: ReplicaID
    /// Whose store this is: an office's name, or `sync-server`.
    public let name: String
    /// The database file, or nil for a store in memory (tests, benchmarks).
    public let path: String?
    /// The database. Only SyncCore and the server's store (for its own tables, in the same
    /// transactions) write through it.
    package let database: any DatabaseWriter
    package let logger: Logger

    /// The database for reading, for tools and tests: it cannot start a write transaction.
    public var reader: any DatabaseReader { database }

    /// Opens the store kept in `database`, whose schema is migrated already.
    package init(database: any DatabaseWriter, path: String?, logger: Logger) throws {
        self.database = database
        self.path = path
        self.logger = logger
        let identity: (String, String)?
        do {
            identity = try database.read { db -> (String, String)? in
                guard try db.tableExists("_sync_state") else { return nil }
                return try db.row(sql: "SELECT replica_id, office FROM _sync_state WHERE id = 1").map { ($0[0], $0[1]) }
            }
        } catch {
            throw Self.readError(error)
        }
        guard let identity else {
            throw SyncError(.replicaUnavailable, "\(path ?? "the database") is not a QuartierSync store")
        }
        id = ReplicaID(rawValue: identity.0)
        name = identity.1
    }

    /// Creates a store file at `path` with ``StoreSchema``'s tables only (0600); fails if the
    /// file exists. A server serving it adds its own tables on first open.
    public static func create(at path: String, name: String, logger: Logger = Logger(label: "quartiersync.store"))
        throws -> StateStore
    {
        try createFile(at: path)
        let pool = try openPool(path)
        try StoreSchema.migrator.migrate(pool)
        try initialise(pool, name: name)
        return try StateStore(database: pool, path: path, logger: logger)
    }

    /// Opens the store file at `path` (a server's store, or a store made by ``create(at:name:logger:)``)
    /// without migrating it: for tools and tests that read it.
    public static func open(at path: String, logger: Logger = Logger(label: "quartiersync.store")) throws
        -> StateStore
    {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SyncError(.replicaUnavailable, "no store at \(path)")
        }
        return try StateStore(database: try openPool(path), path: path, logger: logger)
    }

    /// A store in memory with ``StoreSchema``'s tables only: for tests and benchmarks.
    public static func inMemory(name: String, logger: Logger = Logger(label: "quartiersync.store")) throws
        -> StateStore
    {
        let queue = try DatabaseQueue(configuration: configuration)
        try StoreSchema.migrator.migrate(queue)
        try initialise(queue, name: name)
        return try StateStore(database: queue, path: nil, logger: logger)
    }

    /// Gives a newly migrated database its identity: a new replica id, named `name`. Does
    /// nothing when it has one.
    package static func initialise(_ database: any DatabaseWriter, name: String) throws {
        try database.write { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM _sync_state") == 0 else { return }
            let identity = ReplicaID.random()
            try db.run(
                sql: "INSERT INTO _sync_state (id, replica_id, office) VALUES (1, ?, ?)",
                arguments: [identity.rawValue, name])
            try db.run(
                sql: "INSERT INTO _sync_replicas (replica_id, office) VALUES (?, ?)",
                arguments: [identity.rawValue, name])
        }
    }

    /// The connection settings of every store.
    package static var configuration: Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.run(sql: "PRAGMA synchronous = NORMAL")
            // 16 MB of page cache: a sync page or an import stays in memory until commit.
            try db.run(sql: "PRAGMA cache_size = -16384")
            try db.run(sql: "PRAGMA temp_store = MEMORY")
            try db.run(sql: "PRAGMA wal_autocheckpoint = 8192")
            // Deleted and overwritten content is zeroed, not left in free space: an erased
            // person's values must be in no byte of the file (docs/data-protection.md; the
            // copy in the WAL goes with the TRUNCATE checkpoint after an erasure).
            try db.run(sql: "PRAGMA secure_delete = ON")
        }
        return configuration
    }

    /// Creates `path` empty and readable by its owner only (0600), with its directory (0700)
    /// when missing, before SQLite opens it: SQLite gives its -wal and -shm files the same
    /// permissions. Fails if the file exists.
    package static func createFile(at path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw SyncError(.replicaExists, "a replica already exists at \(path)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            // Personal data: a directory made for the store is the user's alone.
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        else {
            throw SyncError(.database, "cannot create \(path): check the directory's permissions")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// Opens the database file at `path` with ``configuration`` (WAL), with `maximumReaders`
    /// concurrent readers, each with a page cache of `readerCacheKiB` (the writer keeps 16 MB).
    package static func openPool(_ path: String, maximumReaders: Int? = nil, readerCacheKiB: Int? = nil) throws
        -> DatabasePool
    {
        var configuration = configuration
        if let maximumReaders { configuration.maximumReaderCount = maximumReaders }
        if let readerCacheKiB {
            configuration.prepareDatabase { db in
                if db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -\(readerCacheKiB)") }
            }
        }
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
    package static func diskTrouble(_ error: DatabaseError) -> String? {
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

    /// Runs `body` in one write transaction, mapping database failures to ``SyncError``.
    package func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.write(body)
        } catch {
            throw Self.writeError(error)
        }
    }

    /// Runs `body` in one write transaction; the calling task is suspended meanwhile, its
    /// thread is not held (GRDB's async access): what the server's request handlers use.
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

    /// Runs `body` in a read transaction; the calling task is suspended meanwhile.
    package func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await database.read(body)
        } catch {
            throw Self.readError(error)
        }
    }

    package static func writeError(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        if let trouble = diskTrouble(error) {
            return SyncError(.storage, "the replica could not be written: \(trouble)", cause: error)
        }
        return SyncError(
            code(error), "the replica database refused the change (\(error.resultCode)): nothing was written",
            cause: error)
    }

    package static func readError(_ error: any Error) -> any Error {
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
