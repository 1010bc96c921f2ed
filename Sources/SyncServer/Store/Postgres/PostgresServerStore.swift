import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import SyncKernel
import SyncProtocol
import SyncStore

/// The server store on PostgreSQL: the same tables, rules and merge as ``SQLiteServerStore``,
/// for deployments that need the server to survive a machine, run two or more `sync-server`
/// processes on one database, or use the database their organisation already runs and backs up.
///
/// Every write that touches the feed runs in one transaction under the feed lock
/// (``PostgresWrite``), so positions commit in order across all servers; every read runs in one
/// `REPEATABLE READ` snapshot, so a page and the head it reports agree. The failed-login limit,
/// the per-office fair share and the metrics stay per process (docs/operations.md).
///
/// ```swift
/// let store = try await PostgresServerStore.open(PostgresSettings(url: "postgres://quartiersync@127.0.0.1/quartiersync"))
/// // serve: the store's client runs in the application's service group
/// let app = try SyncServerApplication.build(store: store, configuration: configuration, services: [store.client])
/// ```
public final class PostgresServerStore: ServerStore {
    public let storeID: String
    /// The connection pool; it must run (`client.run()`, or as a service) while the store is used.
    public let client: PostgresClient
    public let settings: PostgresSettings
    let logger: Logger

    private init(storeID: String, client: PostgresClient, settings: PostgresSettings, logger: Logger) {
        self.storeID = storeID
        self.client = client
        self.settings = settings
        self.logger = logger
    }

    /// The schema version this release writes.
    public static var schemaVersion: Int { PostgresSchema.current }

    /// What `open` does with a database at an older schema version (or none).
    public enum Migration: Sendable {
        /// Refuse it, naming the command that migrates.
        case refuse
        /// Migrate it first.
        case apply
    }

    /// Opens the store at `settings`: checks (or, with `.apply`, brings) the schema version and
    /// reads the store's identity through a short-lived connection. The returned store's
    /// client is not running yet: run it beside the work (``run(_:migration:logger:_:)``) or as
    /// a service of the server's application.
    ///
    /// A database that takes the connection but does not answer is given up on after
    /// `deadline` (nil: never — for a caller whose own tasks may wait long for a thread).
    public static func open(
        _ settings: PostgresSettings, migration: Migration = .refuse,
        logger: Logger = Logger(label: "quartiersync.store"), deadline: Duration? = .seconds(60)
    ) async throws -> PostgresServerStore {
        // One connection of its own: a database that refuses, a certificate that does not
        // check, a wrong password are said at once (the pool would keep retrying).
        let configuration = try settings.connectionConfiguration()
        let check: @Sendable () async throws -> String = {
            try await mapped(settings) {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 1, logger: logger)
                do {
                    let id = try await prepare(connection, settings: settings, migration: migration, logger: logger)
                    try await connection.close()
                    return id
                } catch {
                    try? await connection.close()
                    throw error
                }
            }
        }
        // A busy database may take a while to migrate; one that does not answer at all is said.
        let storeID: String
        if let deadline { storeID = try await within(deadline, settings, check) } else { storeID = try await check() }
        return PostgresServerStore(
            storeID: storeID, client: PostgresClient(configuration: try settings.configuration()), settings: settings,
            logger: logger)
    }

    /// Opens the store, runs its client while `body` works with it, and stops the client.
    public static func run<T: Sendable>(
        _ settings: PostgresSettings, migration: Migration = .refuse,
        logger: Logger = Logger(label: "quartiersync.store"), _ body: (PostgresServerStore) async throws -> T
    ) async throws -> T {
        let store = try await open(settings, migration: migration, logger: logger)
        return try await running(store.client) { _ in try await body(store) }
    }

    /// Runs `client` while `body` works with it.
    static func running<T: Sendable>(_ client: PostgresClient, _ body: (PostgresClient) async throws -> T)
        async throws -> T
    {
        try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// The schema version of the database on `connection` (0: none).
    static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let exists =
            try await connection.query(
                "SELECT to_regclass('_server_schema') IS NOT NULL", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
        guard exists else { return 0 }
        return try await connection.query("SELECT coalesce(max(version), 0) FROM _server_schema", logger: logger)
            .collect().first?.decode(Int.self) ?? 0
    }

    /// Checks or migrates the schema, gives a new store its identity, returns the store's id.
    private static func prepare(
        _ connection: PostgresConnection, settings: PostgresSettings, migration: Migration, logger: Logger
    ) async throws -> String {
        var version = try await version(connection, logger: logger)
        if version > PostgresSchema.current {
            throw SyncError(
                .database,
                "the store at \(settings.description) is at schema version \(version), newer than this sync-server "
                    + "knows (\(PostgresSchema.current)): run the newer release")
        }
        if version < PostgresSchema.current {
            guard migration == .apply else {
                throw SyncError(
                    .notConfigured,
                    "the store at \(settings.description) is at schema version \(version), this sync-server needs "
                        + "\(PostgresSchema.current): run 'sync-server migrate --store URL' first (docs/operations.md, "
                        + "'PostgreSQL'), or start 'serve' with --migrate")
            }
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS _server_schema (
                        version integer PRIMARY KEY, applied_at text NOT NULL DEFAULT \(unescaped: PostgresSchema.nowISO))
                    """, logger: logger)
                // Another server may have migrated while this one waited for the lock.
                version = try await self.version(connection, logger: logger)
                for (index, statements) in PostgresSchema.versions.enumerated() where index + 1 > version {
                    for statement in statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO _server_schema (version) VALUES (\(index + 1))", logger: logger)
                }
                let identity = ReplicaID.random().rawValue
                try await connection.query(
                    """
                    INSERT INTO _sync_state (id, replica_id, office) VALUES (1, \(identity), 'sync-server')
                    ON CONFLICT (id) DO NOTHING
                    """, logger: logger)
                try await connection.query(
                    "INSERT INTO _sync_clock (id) VALUES (1) ON CONFLICT (id) DO NOTHING", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO _sync_replicas (replica_id, office)
                    SELECT replica_id, office FROM _sync_state WHERE id = 1 ON CONFLICT DO NOTHING
                    """, logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
        guard
            let id = try await connection.query("SELECT replica_id FROM _sync_state WHERE id = 1", logger: logger)
                .collect().first?.decode(String.self)
        else {
            throw SyncError(
                .corruptData, "the store at \(settings.description) has no identity: restore it from a backup")
        }
        return id
    }

    // MARK: Transactions

    /// Runs `body` in one read-only `REPEATABLE READ` transaction: every query sees one snapshot.
    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.mapped(settings) {
            try await client.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                do {
                    let value = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// Runs `body` in one write transaction under the feed lock (``PostgresWrite``).
    @discardableResult
    func write<T: Sendable>(_ body: (PostgresWrite) async throws -> T) async throws -> T {
        let replica = ReplicaID(rawValue: storeID)
        return try await Self.mapped(settings) {
            try await client.withTransaction(logger: logger) { connection in
                let transaction = try await PostgresWrite(connection, replica: replica, logger: logger)
                let value = try await body(transaction)
                try await transaction.finish()
                return value
            }
        }
    }

    /// Runs `body`, or throws `busy` once `limit` has passed: the pool waits for a database
    /// that does not answer (it retries connecting), a command or request must not.
    static func within<T: Sendable>(
        _ limit: Duration, _ settings: PostgresSettings, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw SyncError(
                    .busy,
                    "the PostgreSQL store at \(settings.description) did not answer within \(limit.components.seconds) s: "
                        + "check that it runs and the URL, PGHOST and PGPORT; nothing was written")
            }
            return value
        }
    }

    /// Runs `body`, saying a failure of PostgreSQL as a ``SyncError`` a person can act on: an
    /// unreachable database as busy (503 at the routes: the offices retry), never a value.
    @discardableResult
    static func mapped<T>(_ settings: PostgresSettings, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw Self.syncError(error, settings: settings)
        } catch let error as PostgresTransactionError {
            // What the transaction's work threw is said as such; a failed begin, commit or
            // rollback means the database went away.
            for cause in [error.closureError, error.beginError, error.commitError, error.rollbackError] {
                if let cause = cause as? PSQLError { throw syncError(cause, settings: settings) }
            }
            if let cause = error.closureError { throw cause }
            throw SyncError(
                .busy, "the PostgreSQL store could not finish a transaction: nothing was written; try again")
        }
    }

    static func syncError(_ error: PSQLError, settings: PostgresSettings) -> SyncError {
        if let state = error.serverInfo?[.sqlState] {
            // Class 08 (connection), 53 (resources), 57 (shutdown), 40 (rollback): worth a retry.
            if ["08", "53", "57", "40"].contains(String(state.prefix(2))) {
                return SyncError(
                    .busy,
                    "the PostgreSQL store at \(settings.description) is unavailable (SQLSTATE \(state)): nothing was "
                        + "written; try again", cause: error)
            }
            if state == "28P01" || state == "28000" {
                return SyncError(
                    .notConfigured,
                    "PostgreSQL at \(settings.description) refused the login (SQLSTATE \(state)): check the user and "
                        + "the password in PGPASSWORD or the password file", cause: error)
            }
            if state == "3D000" {
                return SyncError(
                    .notConfigured,
                    "there is no database '\(settings.database)' at \(settings.host):\(settings.port): create it "
                        + "(docs/operations.md, 'PostgreSQL')", cause: error)
            }
            return SyncError(
                .database, "the PostgreSQL store refused the request (SQLSTATE \(state)): nothing was written",
                cause: error)
        }
        if error.underlying is NIOSSLError || error.underlying is NIOSSLExtraError || error.code == .sslUnsupported {
            return SyncError(
                .notConfigured,
                "TLS to the PostgreSQL store at \(settings.description) failed: check sslmode, sslrootcert (the CA "
                    + "that signed the database's certificate) and that the certificate names the host", cause: error)
        }
        return SyncError(
            .busy,
            "cannot reach the PostgreSQL store at \(settings.description): check that it runs and the URL, PGHOST "
                + "and PGPORT; nothing was written", cause: error)
    }

    // MARK: States

    /// The stored states of `keys`, in one query.
    static func states(of keys: some Collection<RecordKey>, on connection: PostgresConnection, logger: Logger)
        async throws -> [RecordKey: RecordState]
    {
        guard !keys.isEmpty else { return [:] }
        var states: [RecordKey: RecordState] = [:]
        let rows = try await connection.execute(
            PostgresStatements.States(tables: keys.map(\.table.rawValue), ids: keys.map(\.id)), logger: logger)
        for try await blob in rows {
            let state = try StateTable.decode(bytes: Array(blob.readableBytesView))
            states[state.key] = state
        }
        return states
    }

    /// The stored states of the records in `tables` (visible ones only with `visible`), in feed order.
    static func states(
        in tables: [SyncTable], visible: Bool = false, conflicted: Bool = false, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [RecordState] {
        let rows = try await connection.query(
            """
            SELECT state FROM _sync_records WHERE tbl = ANY(\(tables.map(\.rawValue)))
                AND (visible <> 0 OR NOT \(visible)) AND (conflicts > 0 OR NOT \(conflicted))
            ORDER BY seq
            """, logger: logger)
        var states: [RecordState] = []
        for try await blob in rows.decode(ByteBuffer.self) {
            states.append(try StateTable.decode(bytes: Array(blob.readableBytesView)))
        }
        return states
    }

    /// Every known replica's office.
    static func directory(_ connection: PostgresConnection, logger: Logger, of replicas: [ReplicaID]? = nil)
        async throws -> [ReplicaID: String]
    {
        var offices: [ReplicaID: String] = [:]
        let rows =
            if let replicas {
                try await connection.query(
                    "SELECT replica_id, office FROM _sync_replicas WHERE replica_id = ANY(\(replicas.map(\.rawValue)))",
                    logger: logger)
            } else {
                try await connection.query("SELECT replica_id, office FROM _sync_replicas", logger: logger)
            }
        for try await (replica, office) in rows.decode((String, String).self) {
            offices[ReplicaID(rawValue: replica)] = office
        }
        return offices
    }

    // MARK: ServerStore

    public func push(
        _ batch: ChangeBatch, key: String?, from office: Office, replica pusher: ReplicaID?, validator: StateValidator
    ) async throws -> PushReceipt {
        // What the push needs to know before it takes the lock, in one snapshot: an earlier
        // receipt, whose the pushing replica is, the office's replicas, the others' reach.
        let known = try await read { connection in
            (
                receipt: try await key.asyncMap { try await self.receipt(office, $0, on: connection) } ?? nil,
                owner: try await pusher.asyncMap { try await self.owner(of: $0, on: connection) },
                bound: try await self.replicas(of: office, on: connection),
                reached: try await self.reached(office, on: connection)
            )
        }
        if let earlier = known.receipt { return earlier }
        var bound = known.bound
        if let pusher, known.owner != office.name {
            // A replica's first push binds it (another office's replica is refused).
            try await claim(pusher, for: office, owner: .some(known.owner ?? nil))
            bound.insert(pusher)
        }
        var batch = batch
        batch.offices = Dictionary(uniqueKeysWithValues: bound.map { ($0, office.name) })
        let scope = WriteScope(
            quartiers: office.quartiers, replicas: bound,
            othersReached: try await reachedByOtherOffices(office, read: known.reached))
        let (receipt, erased) = try await write { transaction -> (PushReceipt, Bool) in
            // Two servers may take the same push at once: the second waited for the lock.
            if let key, let earlier = try await self.receipt(office, key, on: transaction.connection) {
                return (earlier, false)
            }
            let plan = try await transaction.merge(
                batch, from: .downstream(acknowledging: pusher.map { .init(replica: $0, position: batch.cursor) }),
                validator: validator, scope: scope)
            let summary = plan.summary
            let erasedRecords = summary.erased.filter { $0.table != .resolutions && $0.table != .erasures }
            if !erasedRecords.isEmpty { try await self.eraseConsequences(of: erasedRecords, in: transaction) }
            let refused = summary.refused.map {
                RefusedChange(table: $0.key.table.rawValue, id: $0.key.id, code: $0.code, message: $0.message)
            }
            let accepted = summary.received - refused.count
            var receipt = PushReceipt(
                received: summary.received, stored: accepted - summary.alreadyKnown,
                alreadyKnown: summary.alreadyKnown, conflicts: summary.conflicted,
                refused: refused.isEmpty ? nil : refused)
            if let key {
                let refusedJSON =
                    refused.isEmpty ? nil : String(decoding: try JSONEncoder().encode(refused), as: UTF8.self)
                try await transaction.query(
                    """
                    INSERT INTO _server_pushes (office, key, received, stored, already_known, conflicts, refused)
                    VALUES (\(office.name), \(key), \(receipt.received), \(receipt.stored), \(receipt.alreadyKnown),
                        \(receipt.conflicts ?? 0), \(refusedJSON))
                    ON CONFLICT DO NOTHING
                    """)
            }
            // Under the lock the head is this transaction's last position (or the latest
            // committed one when it stored nothing): what a read after the commit would say.
            receipt.head = transaction.head
            return (receipt, !summary.erased.isEmpty)
        }
        if erased { await vacuum() }
        return receipt
    }

    /// The receipt of the push `key` of `office` stored earlier, with the feed's head now.
    private func receipt(_ office: Office, _ key: String, on connection: PostgresConnection) async throws
        -> PushReceipt?
    {
        let rows = try await connection.query(
            """
            SELECT received, stored, already_known, conflicts, refused FROM _server_pushes
            WHERE office = \(office.name) AND key = \(key)
            """, logger: logger)
        for try await (received, stored, known, conflicts, refused) in rows.decode(
            (Int, Int, Int, Int, String?).self)
        {
            return PushReceipt(
                received: received, stored: stored, alreadyKnown: known, conflicts: conflicts,
                refused: refused.flatMap { try? JSONDecoder().decode([RefusedChange].self, from: Data($0.utf8)) },
                head: try await Self.head(connection, logger: logger))
        }
        return nil
    }

    /// Marks the space of erased values free at once (`VACUUM`); see docs/data-protection.md for
    /// what PostgreSQL's files and WAL archive keep.
    func vacuum() async {
        do {
            try await client.query("VACUUM _sync_records", logger: logger)
        } catch {
            logger.warning("VACUUM after an erasure failed; autovacuum will do it later")
        }
    }

    static func head(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("SELECT store_seq FROM _sync_state WHERE id = 1", logger: logger).collect().first?
            .decode(Int64.self) ?? 0
    }

    public func pull(since cursor: Int64, limit: Int, for office: Office) async throws -> EncodedBatch {
        try await read { connection in
            let rows = try await connection.execute(
                PostgresStatements.FeedPage(cursor: cursor, quartiers: office.quartiers, limit: Int64(limit + 1)),
                logger: self.logger)
            var states: [[UInt8]] = []
            var leaving: [Eviction] = []
            var next = cursor
            var hasMore = false
            var bytesTaken = 0
            for try await (seq, blob, route) in rows {
                if states.count + leaving.count == limit || (bytesTaken > 0 && bytesTaken >= Feed.maxPageBytes) {
                    hasMore = true
                    break
                }
                let bytes = Array(blob.readableBytesView)
                if Quartier.scope(office.quartiers, covers: route) {
                    states.append(bytes)
                } else {
                    let state = try StateTable.decode(bytes: bytes)
                    leaving.append(Eviction(key: state.key, context: state.context))
                }
                next = seq
                bytesTaken += bytes.count
            }
            // The last page skips the records this office may not see; the head is read in the
            // same snapshot, so no position below it can still commit (the feed lock).
            if !hasMore { next = max(next, try await Self.head(connection, logger: self.logger)) }
            var replicas = Set<ReplicaID>()
            for state in states {
                do {
                    try RecordState.replicaIDs(inEncoded: state, into: &replicas)
                } catch {
                    throw SyncError(
                        .corruptData, "a stored record state cannot be decoded: restore the store from a backup",
                        cause: error)
                }
            }
            let offices = try await Self.directory(connection, logger: self.logger, of: Array(replicas))
            let bytes = ChangeBatch.encode(
                cursor: next, hasMore: hasMore, offices: offices, records: states.map { $0[...] },
                evictions: leaving)
            return EncodedBatch(bytes: bytes, count: states.count, cursor: next, hasMore: hasMore)
        }
    }

    public func session(for office: Office, replica asking: ReplicaID?) async throws -> Session {
        if let asking { try await claim(asking, for: office) }
        let own = try await replicas(of: office)
        let storeID = storeID
        return try await read { connection in
            var knowledge: [String: UInt64] = [:]
            for try await (replica, counter) in try await connection.query(
                "SELECT replica_id, counter FROM _sync_knowledge WHERE replica_id = ANY(\(own.map(\.rawValue)))",
                logger: self.logger
            ).decode((String, Int64).self) {
                knowledge[replica] = UInt64(clamping: counter)
            }
            var acknowledged: Int64 = 0
            if let asking {
                acknowledged =
                    try await connection.query(
                        "SELECT position FROM _sync_acks WHERE replica_id = \(asking.rawValue)", logger: self.logger
                    ).collect().first?.decode(Int64.self) ?? 0
            }
            let epoch =
                try await connection.query("SELECT epoch FROM _server_recovery WHERE id = 1", logger: self.logger)
                .collect().first?.decode(Int64.self) ?? 0
            var holds: [(quartiers: [String], holds: Int64)] = []
            for try await (quartiers, held) in try await connection.query(
                """
                SELECT o.quartiers, coalesce(a.holds_to, 0) FROM _server_offices o
                LEFT JOIN _server_activity a ON a.office = o.name WHERE o.revoked_at IS NULL
                """, logger: self.logger
            ).decode((String, Int64).self) {
                holds.append((ServerLedger.quartiers(json: quartiers), held))
            }
            return Session(
                office: office.name, quartiers: office.quartiers, storeId: storeID,
                head: try await Self.head(connection, logger: self.logger), acknowledged: acknowledged,
                knowledge: knowledge, epoch: epoch, delivered: ServerLedger.delivered(holds),
                erasures: try await self.outstandingErasureCount(for: office, on: connection))
        }
    }

    /// The replicas bound to `office`.
    private func replicas(of office: Office) async throws -> Set<ReplicaID> {
        try await read { try await self.replicas(of: office, on: $0) }
    }

    private func replicas(of office: Office, on connection: PostgresConnection) async throws -> Set<ReplicaID> {
        var replicas = Set<ReplicaID>()
        for try await replica in try await connection.query(
            "SELECT replica_id FROM _server_replicas WHERE office = \(office.name)", logger: logger
        ).decode(String.self) {
            replicas.insert(ReplicaID(rawValue: replica))
        }
        return replicas
    }

    /// The office `replica` is bound to, if any.
    private func owner(of replica: ReplicaID, on connection: PostgresConnection) async throws -> String? {
        try await connection.query(
            "SELECT office FROM _server_replicas WHERE replica_id = \(replica.rawValue)", logger: logger
        ).collect().first?.decode(String.self)
    }

    /// Binds `replica` to `office` on first use; refuses it for any other office.
    private func claim(_ replica: ReplicaID, for office: Office, owner known: String?? = .none) async throws {
        let owner: @Sendable (PostgresConnection, Logger) async throws -> String? = { connection, logger in
            try await connection.query(
                "SELECT office FROM _server_replicas WHERE replica_id = \(replica.rawValue)", logger: logger
            ).collect().first?.decode(String.self)
        }
        var bound: String?
        if case .some(let known) = known {
            bound = known
        } else {
            bound = try await read { try await owner($0, self.logger) }
        }
        if bound == nil {
            bound = try await Self.mapped(settings) {
                try await client.withConnection { connection in
                    try await connection.query(
                        """
                        INSERT INTO _server_replicas (replica_id, office) VALUES (\(replica.rawValue), \(office.name))
                        ON CONFLICT DO NOTHING
                        """, logger: self.logger)
                    return try await owner(connection, self.logger)
                }
            }
        }
        guard bound == office.name else { throw ServerLedger.replicaOfAnotherOffice }
    }

    /// The replicas of other active offices, with the largest counter held of each, and the
    /// restore window (serving since, relaying until).
    private func reached(_ office: Office, on connection: PostgresConnection) async throws
        -> (reached: [ReplicaID: UInt64], window: (Double?, Double?)?)
    {
        var reached: [ReplicaID: UInt64] = [:]
        for try await (replica, counter) in try await connection.query(
            """
            SELECT r.replica_id, greatest(coalesce(k.counter, 0), coalesce(a.position, 0))
            FROM _server_replicas r JOIN _server_offices o ON o.name = r.office
            LEFT JOIN _sync_knowledge k ON k.replica_id = r.replica_id
            LEFT JOIN _sync_acks a ON a.replica_id = r.replica_id
            WHERE r.office <> \(office.name) AND o.revoked_at IS NULL
            """, logger: logger
        ).decode((String, Int64).self) {
            reached[ReplicaID(rawValue: replica)] = UInt64(clamping: counter)
        }
        let window = try await connection.query(
            "SELECT serving_since, relays_until FROM _server_restore WHERE id = 1", logger: logger
        ).collect().first?.decode((Double?, Double?).self)
        return (reached, window)
    }

    /// As `SQLiteServerStore`'s: the replicas of other active offices and how far another office
    /// may send their versions (0 outside a restore window; opened by the first push a restored
    /// store serves).
    private func reachedByOtherOffices(
        _ office: Office, read: (reached: [ReplicaID: UInt64], window: (Double?, Double?)?)
    ) async throws -> [ReplicaID: UInt64] {
        let (reached, window) = read
        var until = window?.1
        if let window, window.0 == nil {
            until = try await Self.mapped(settings) {
                try await client.query(
                    """
                    UPDATE _server_restore SET serving_since = \(Date().timeIntervalSince1970),
                        relays_until = \(Date().timeIntervalSince1970 + SQLiteServerStore.relayWindow)
                    WHERE id = 1 AND serving_since IS NULL
                    """, logger: logger)
                return try await client.query("SELECT relays_until FROM _server_restore WHERE id = 1", logger: logger)
                    .collect().first?.decode(Double?.self)
            }
        }
        let relaying = until.map { Date().timeIntervalSince1970 < $0 } ?? false
        return relaying ? reached : reached.mapValues { _ in 0 }
    }

    public func reportRecovery(from office: Office) async throws -> (epoch: Int64, raised: Bool) {
        try await write { transaction in
            let now = Date().timeIntervalSince1970
            let last = try await transaction.query(
                "SELECT recovery_reported_at FROM _server_activity WHERE office = \(office.name)"
            ).collect().first?.decode(Double?.self)
            let raise = (last ?? nil).map { now - $0 >= SQLiteServerStore.recoveryInterval || now < $0 } ?? true
            if raise {
                try await transaction.query(
                    """
                    UPDATE _server_recovery SET epoch = epoch + 1, reported_by = \(office.name),
                        reported_at = \(unescaped: PostgresSchema.nowISO)
                    """)
                try await transaction.query(
                    """
                    INSERT INTO _server_activity (office, recovery_reported_at) VALUES (\(office.name), \(now))
                    ON CONFLICT (office) DO UPDATE SET recovery_reported_at = excluded.recovery_reported_at
                    """)
            }
            let epoch =
                try await transaction.query("SELECT epoch FROM _server_recovery WHERE id = 1").collect().first?
                .decode(Int64.self) ?? 0
            return (epoch, raise)
        }
    }

    /// Marks the database as restored from a backup (`pg_restore`, a base backup, a point in
    /// time): from the first push it serves on, and for `SQLiteServerStore.relayWindow`, any
    /// office may send back the changes of others that the restore lost (as a SQLite copy made
    /// by `sync-server backup` is marked).
    public func markRestored() async throws {
        try await write { transaction in
            try await transaction.query(
                """
                INSERT INTO _server_restore (id, backup_taken_at) VALUES (1, \(unescaped: PostgresSchema.nowISO))
                ON CONFLICT (id) DO UPDATE SET backup_taken_at = excluded.backup_taken_at, serving_since = NULL,
                    relays_until = NULL
                """)
        }
    }

    // MARK: Offices and admins

    static let officeColumns = "name, quartiers, created_at, revoked_at"

    static func offices(_ rows: PostgresRowSequence) async throws -> [Office] {
        var offices: [Office] = []
        for try await (name, quartiers, created, revoked) in rows.decode((String, String, String, String?).self) {
            offices.append(
                Office(
                    name: name, quartiers: ServerLedger.quartiers(json: quartiers), createdAt: created,
                    revokedAt: revoked))
        }
        return offices
    }

    public func office(forToken token: String) async throws -> Office? {
        try await read { connection in
            try await Self.offices(
                try await connection.query(
                    """
                    SELECT \(unescaped: Self.officeColumns) FROM _server_offices
                    WHERE token_hash = \(OfficeToken.hash(token)) AND revoked_at IS NULL
                    """, logger: self.logger)
            ).first
        }
    }

    public func addOffice(name: String, quartiers: [String]) async throws -> (Office, token: String?) {
        let (name, quartiers) = try ServerLedger.checkedOffice(name: name, quartiers: quartiers)
        let token = OfficeToken.generate()
        let json = String(decoding: try JSONEncoder().encode(quartiers), as: UTF8.self)
        return try await write { transaction in
            let existing = try await Self.offices(
                try await transaction.query(
                    "SELECT \(unescaped: Self.officeColumns) FROM _server_offices WHERE name = \(name)")
            ).first
            if let existing, existing.revokedAt == nil {
                if existing.quartiers != quartiers {
                    try await transaction.query("UPDATE _server_offices SET quartiers = \(json) WHERE name = \(name)")
                    try await transaction.query("UPDATE _server_activity SET holds_to = 0 WHERE office = \(name)")
                }
                var office = existing
                office.quartiers = quartiers
                return (office, nil)
            }
            try await transaction.query("UPDATE _server_activity SET holds_to = 0 WHERE office = \(name)")
            try await transaction.query(
                """
                INSERT INTO _server_offices (name, quartiers, token_hash) VALUES (\(name), \(json), \(OfficeToken.hash(token)))
                ON CONFLICT (name) DO UPDATE SET quartiers = excluded.quartiers, token_hash = excluded.token_hash,
                    revoked_at = NULL, created_at = \(unescaped: PostgresSchema.nowISO)
                """)
            let office = try await Self.offices(
                try await transaction.query(
                    "SELECT \(unescaped: Self.officeColumns) FROM _server_offices WHERE name = \(name)")
            ).first!
            return (office, token)
        }
    }

    public func offices() async throws -> [Office] {
        try await read { connection in
            try await Self.offices(
                try await connection.query(
                    "SELECT \(unescaped: Self.officeColumns) FROM _server_offices ORDER BY name", logger: self.logger))
        }
    }

    public func revokeOffice(name: String) async throws {
        let revoked = try await write { transaction in
            try await transaction.query(
                """
                UPDATE _server_offices SET revoked_at = \(unescaped: PostgresSchema.nowISO)
                WHERE name = \(name) AND revoked_at IS NULL RETURNING name
                """
            ).collect().count
        }
        guard revoked == 1 else { throw SyncError(.notFound, "no active office named '\(name)'") }
    }

    public func addAdmin(name: String) async throws -> String {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw SyncError(.missingField, "the admin's name is empty", field: "name") }
        let token = OfficeToken.generate(prefix: OfficeToken.adminPrefix)
        try await write { transaction in
            try await transaction.query(
                """
                INSERT INTO _server_admins (name, token_hash) VALUES (\(name), \(OfficeToken.hash(token)))
                ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, revoked_at = NULL,
                    created_at = \(unescaped: PostgresSchema.nowISO)
                """)
        }
        return token
    }

    public func admin(forToken token: String) async throws -> String? {
        try await read { connection in
            try await connection.query(
                """
                SELECT name FROM _server_admins WHERE token_hash = \(OfficeToken.hash(token)) AND revoked_at IS NULL
                """, logger: self.logger
            ).collect().first?.decode(String.self)
        }
    }

    public func revokeAdmin(name: String) async throws {
        let revoked = try await write { transaction in
            try await transaction.query(
                """
                UPDATE _server_admins SET revoked_at = \(unescaped: PostgresSchema.nowISO)
                WHERE name = \(name) AND revoked_at IS NULL RETURNING name
                """
            ).collect().count
        }
        guard revoked == 1 else { throw SyncError(.notFound, "no active admin named '\(name)'") }
    }

    // MARK: Conflicts

    public func conflicts(within quartiers: [String]?) async throws -> [Conflict] {
        try await read { connection in
            let offices = try await Self.directory(connection, logger: self.logger)
            return try await Self.states(
                in: SyncTable.allCases, conflicted: true, on: connection, logger: self.logger
            )
            .flatMap { Conflict.conflicts(in: $0, offices: offices) }
            .filter { conflict in quartiers.map { Quartier.scope($0, covers: conflict.quartier) } ?? true }
        }
    }

    public func conflict(id: String, within quartiers: [String]?) async throws -> Conflict {
        try await read { connection in
            let (conflict, _) = try await self.openConflict(id, on: connection)
            if let quartiers, !Quartier.scope(quartiers, covers: conflict.quartier) {
                throw StateStore.noConflict(id)
            }
            return conflict
        }
    }

    private func openConflict(_ id: String, on connection: PostgresConnection) async throws
        -> (conflict: Conflict, state: RecordState)
    {
        try StateStore.openConflict(
            id, among: try await Self.states(in: SyncTable.allCases, conflicted: true, on: connection, logger: logger),
            offices: try await Self.directory(connection, logger: logger))
    }

    public func resolve(_ id: String, _ decision: ConflictDecision, reason: String, by decider: String) async throws
        -> Resolution
    {
        let reason = try Resolution.checkedReason(reason)
        return try await write { transaction in
            let (conflict, state) = try await self.openConflict(id, on: transaction.connection)
            let (settled, audit, entry) = try StateStore.settle(
                conflict, in: state, decision, reason: reason, by: decider, tick: transaction.tick)
            _ = try await transaction.merge(
                ChangeBatch(
                    records: [settled, audit], offices: [transaction.replica: "sync-server"], cursor: 0,
                    hasMore: false),
                from: .downstream(acknowledging: nil))
            return entry
        }
    }

    // MARK: Activity

    public func officeOverviews() async throws -> [OfficeOverview] {
        let offices = try await offices()
        return try await read { connection in
            var conflicts: [String: Int] = [:]
            for try await (quartier, count) in try await connection.query(
                "SELECT coalesce(quartier, ''), sum(conflicts)::bigint FROM _sync_records WHERE conflicts > 0 GROUP BY quartier",
                logger: self.logger
            ).decode((String, Int64).self) {
                conflicts[quartier] = Int(count)
            }
            var activity: [String: (seen: String?, result: String?, pulled: Int64)] = [:]
            for try await (office, seen, result, pulled) in try await connection.query(
                "SELECT office, last_seen_at, last_result, pulled_to FROM _server_activity", logger: self.logger
            ).decode((String, String?, String?, Int64).self) {
                activity[office] = (seen, result, pulled)
            }
            var overviews: [OfficeOverview] = []
            for office in offices {
                let seen = activity[office.name]
                var behind = 0
                for try await (quartier, count) in try await connection.query(
                    """
                    SELECT quartier, count(*) FROM _sync_records WHERE seq > \(seen?.pulled ?? 0) GROUP BY quartier
                    """, logger: self.logger
                ).decode((String?, Int64).self) where Quartier.scope(office.quartiers, covers: quartier) {
                    behind += Int(count)
                }
                let open = conflicts.filter { Quartier.scope(office.quartiers, covers: $0.key) }.values.reduce(0, +)
                overviews.append(
                    OfficeOverview(
                        name: office.name, quartiers: office.quartiers, revoked: office.revokedAt != nil,
                        lastSeenAt: seen?.seen, lastResult: seen?.result, openConflicts: open, notYetPulled: behind))
            }
            return overviews
        }
    }

    public func note(_ event: SyncEvent, of office: Office) async throws {
        switch event {
        case .started:
            try await Self.mapped(settings) {
                try await client.query(
                    """
                    INSERT INTO _server_activity (office, last_seen_at, last_result)
                    VALUES (\(office.name), \(unescaped: PostgresSchema.nowISO), 'started')
                    ON CONFLICT (office) DO UPDATE SET last_seen_at = excluded.last_seen_at, last_result = 'started'
                    """, logger: logger)
            }
        case .pulledToEnd(let position, let holds):
            try await write { transaction in
                try await transaction.query(
                    """
                    INSERT INTO _server_activity (office, last_seen_at, last_result, pulled_to, holds_to)
                    VALUES (\(office.name), \(unescaped: PostgresSchema.nowISO), 'ok', \(position), \(holds))
                    ON CONFLICT (office) DO UPDATE SET last_seen_at = excluded.last_seen_at, last_result = 'ok',
                        pulled_to = excluded.pulled_to,
                        holds_to = greatest(_server_activity.holds_to, excluded.holds_to)
                    """)
                try await self.confirmErasures(office: office, holds: holds, in: transaction)
            }
        case .failed(let code):
            try await Self.mapped(settings) {
                try await client.query(
                    """
                    INSERT INTO _server_activity (office, last_seen_at, last_result)
                    VALUES (\(office.name), \(unescaped: PostgresSchema.nowISO), \(code))
                    ON CONFLICT (office) DO UPDATE SET last_seen_at = excluded.last_seen_at,
                        last_result = excluded.last_result
                    """, logger: logger)
            }
        }
    }
}

extension Optional {
    /// `map` with an async transform.
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
