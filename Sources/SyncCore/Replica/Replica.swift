import Foundation
import GRDB
import Logging
import SyncKernel
import SyncStore

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
    /// The state store underneath: record states, feed, routes, peers, conflicts.
    package let store: StateStore

    /// This replica's identity; the replica part of every dot it writes.
    public var id: ReplicaID { store.id }
    /// The office this replica belongs to.
    public var office: String { store.name }
    /// The database file, or nil for an in-memory replica (tests).
    public var path: String? { store.path }
    /// The database for reading, for tools and tests: it cannot start a write transaction.
    /// Edits go through ``insert(_:values:)`` and its siblings, or through any SQLite client
    /// writing the data tables (the triggers capture them).
    public var reader: any DatabaseReader { store.database }
    /// The database; inside the package only. Never write the `_sync_*` tables through it.
    package var database: any DatabaseWriter { store.database }

    private init(database: any DatabaseWriter, path: String?, logger: Logger) throws {
        store = try StateStore(database: database, path: path, logger: logger)
    }

    /// Creates a new replica file for `office`; fails if the file exists.
    public static func create(
        at path: String, office: String, logger: Logger = Logger(label: "quartiersync.replica")
    ) throws -> Replica {
        let office = office.trimmingCharacters(in: .whitespaces)
        guard !office.isEmpty else { throw SyncError(.invalidInput, "the office name is empty", field: "office") }
        try StateStore.createFile(at: path)
        let pool = try StateStore.openPool(path)
        try initialise(pool, office: office)
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
        let pool = try StateStore.openPool(path)
        let kind: String?
        do {
            kind = try pool.read { db -> String? in
                guard try db.tableExists("_sync_state") else { return nil }
                // A server's store has no data tables (one made before it had a schema of its own
                // says so in `_sync_state.kind`).
                guard try db.tableExists("contacts") else { return "server" }
                guard try db.columns(in: "_sync_state").contains(where: { $0.name == "kind" }) else { return "office" }
                return try String.fetchOne(db, sql: "SELECT kind FROM _sync_state WHERE id = 1")
            }
        } catch {
            // A disk that fails while the file is opened (its WAL recovered, say).
            throw StateStore.readError(error)
        }
        guard let kind else {
            throw SyncError(
                .replicaUnavailable,
                "\(path) is not a QuartierSync replica")
        }
        guard kind == "office" else {
            throw SyncError(
                .replicaUnavailable,
                "\(path) is a sync server's store, not an office's replica")
        }
        do {
            try ReplicaSchema.migrator.migrate(pool)
        } catch {
            throw StateStore.writeError(error)
        }
        return try Replica(database: pool, path: path, logger: logger)
    }

    /// A replica in memory, for tests and benchmarks: the same schema, triggers and merge.
    public static func inMemory(office: String, logger: Logger = Logger(label: "quartiersync.replica")) throws
        -> Replica
    {
        let queue = try DatabaseQueue(configuration: StateStore.configuration)
        try initialise(queue, office: office)
        return try Replica(database: queue, path: nil, logger: logger)
    }

    private static func initialise(_ database: any DatabaseWriter, office: String) throws {
        try ReplicaSchema.migrator.migrate(database)
        try StateStore.initialise(database, name: office)
    }

    /// Migrates this replica with its own migrations followed by those `extend` registers: what a
    /// layer above (SyncRemote) does before it reads or writes tables of its own here, so that
    /// one file has one sequence of migrations.
    package func migrate(extendedBy extend: (inout DatabaseMigrator) -> Void) throws {
        var migrator = ReplicaSchema.migrator
        extend(&migrator)
        do {
            try migrator.migrate(database)
        } catch let error as DatabaseError {
            throw SyncError(
                .database, "cannot prepare the replica's tables (\(error.resultCode)): check the file and the disk",
                cause: error)
        }
    }

    /// Runs `body` in one write transaction, mapping database failures to ``SyncError``.
    package func write<T>(_ body: (Database) throws -> T) throws -> T {
        try store.write(body)
    }

    /// Runs `body` in one write transaction; the calling task is suspended meanwhile.
    package func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await store.write(body)
    }

    /// Runs `body` in a read transaction, mapping database failures to ``SyncError``.
    package func read<T>(_ body: (Database) throws -> T) throws -> T {
        try store.read(body)
    }

    /// Runs `body` in a read transaction; the calling task is suspended meanwhile.
    package func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await store.read(body)
    }
}
