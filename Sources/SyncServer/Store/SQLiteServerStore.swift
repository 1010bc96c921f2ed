import Foundation
import GRDB
import Logging
import SyncKernel
import SyncProtocol
import SyncStore

/// The server store on an embedded SQLite file: SyncCore's ``StateStore`` (WAL,
/// `synchronous=NORMAL`; record states, feed, routes, knowledge, conflicts — no office's data
/// tables, no capture triggers) plus the office registry and the pushes already received, in
/// one file with one migration sequence.
///
/// Durability: WAL with `synchronous=NORMAL` survives a crash of the server process and keeps
/// every acknowledged push; a power loss may lose the last transactions before the WAL is
/// checkpointed. Offices then push those changes again (they stay pending until acknowledged
/// and merging is idempotent). See docs/operations.md.
public final class SQLiteServerStore: ServerStore {
    /// The record states underneath.
    public let states: StateStore
    /// The store's id (its state store's replica id).
    public var storeID: String { states.id.rawValue }

    /// Readers a server's pool keeps at most: pulls and session reads run beside one writer;
    /// each reader holds its own page cache, so more readers cost memory, not speed, on the
    /// small machines a Träger runs this on.
    static let maximumReaders = 3
    /// Each reader's page cache. A pull reads the feed once, in order, and the operating
    /// system's file cache holds what a reader's own cache drops; the writer keeps 16 MB for
    /// merging pushes. (The bench's 50 offices: the server's peak RSS fell from 85–90 MB.)
    static let readerCacheKiB = 2048

    /// Opens the store at `path`, creating it if needed; a file made by an earlier release is
    /// migrated (one made as a replica of kind `server` loses the office tables it never used).
    public init(path: String, logger: Logger) throws {
        if !FileManager.default.fileExists(atPath: path) {
            try StateStore.createFile(at: path)
        }
        let pool = try StateStore.openPool(
            path, maximumReaders: Self.maximumReaders, readerCacheKiB: Self.readerCacheKiB)
        let office = try pool.read { db -> Bool in
            guard try db.tableExists("contacts"), try db.tableExists("_sync_state") else { return false }
            guard try db.columns(in: "_sync_state").contains(where: { $0.name == "kind" }) else { return true }
            return try String.fetchOne(db, sql: "SELECT kind FROM _sync_state WHERE id = 1") != "server"
        }
        guard !office else {
            throw SyncError(.replicaUnavailable, "\(path) is an office's replica, not a sync server's store")
        }
        do {
            try Self.migrator.migrate(pool)
            try StateStore.initialise(pool, name: "sync-server")
        } catch let error as DatabaseError {
            throw SyncError(
                .database, "cannot prepare the server store \(path) (\(error.resultCode)): check the file and the disk",
                cause: error)
        }
        states = try StateStore(database: pool, path: path, logger: logger)
        // A server killed after it stored an erasure left the erased values in the WAL.
        try states.scrubIfMarkedNow()
    }

    /// A store in memory, for tests and benchmarks: the same schema, rules and merge.
    public init(inMemoryWith logger: Logger = Logger(label: "quartiersync.server")) throws {
        let queue = try DatabaseQueue(configuration: StateStore.configuration)
        try Self.migrator.migrate(queue)
        try StateStore.initialise(queue, name: "sync-server")
        states = try StateStore(database: queue, path: nil, logger: logger)
    }

    /// The store's tables (``StoreSchema``), then the server's own, in one sequence.
    static var migrator: DatabaseMigrator {
        var migrator = StoreSchema.migrator
        migrator.registerMigration("server-v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE _server_offices (
                        name TEXT PRIMARY KEY NOT NULL,
                        quartiers TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                        revoked_at TEXT
                    );
                    CREATE TABLE _server_pushes (
                        office TEXT NOT NULL,
                        key TEXT NOT NULL,
                        received INTEGER NOT NULL,
                        stored INTEGER NOT NULL,
                        already_known INTEGER NOT NULL,
                        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                        PRIMARY KEY (office, key)
                    );
                    """)
        }
        migrator.registerMigration("server-v2-recovery") { db in
            try db.execute(
                sql: """
                    CREATE TABLE _server_recovery (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        epoch INTEGER NOT NULL,
                        reported_by TEXT,
                        reported_at TEXT
                    );
                    INSERT INTO _server_recovery (id, epoch) VALUES (1, 0);
                    """)
        }
        migrator.registerMigration("server-v3-admins") { db in
            try db.execute(
                sql: """
                    CREATE TABLE _server_admins (
                        name TEXT PRIMARY KEY NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
                    );
                    ALTER TABLE _server_pushes ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE _server_activity (
                        office TEXT PRIMARY KEY NOT NULL,
                        last_seen_at TEXT,
                        last_result TEXT,
                        pulled_to INTEGER NOT NULL DEFAULT 0
                    );
                    """)
        }
        migrator.registerMigration("server-v4-refusals") { db in
            // The changes a push refused, kept with its idempotency key so that a repeated push
            // is answered alike.
            try db.execute(sql: "ALTER TABLE _server_pushes ADD COLUMN refused TEXT")
        }
        migrator.registerMigration("server-v5-admin-revocation") { db in
            try db.execute(sql: "ALTER TABLE _server_admins ADD COLUMN revoked_at TEXT")
        }
        migrator.registerMigration("server-v6-replicas") { db in
            // Which office each replica syncs for: the first office whose token named it (in
            // `QuartierSync-Replica`). Another office's token naming it is refused, so no
            // office can move another's acknowledged position or read about its replicas.
            try db.execute(
                sql: """
                    CREATE TABLE _server_replicas (
                        replica_id TEXT PRIMARY KEY NOT NULL,
                        office TEXT NOT NULL,
                        bound_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("server-v7-holds") { db in
            // How far each office is known to hold the feed (the cursor its pulls start from):
            // a moved record leaves its old office only once an office of its new Quartier
            // holds it.
            try db.execute(sql: "ALTER TABLE _server_activity ADD COLUMN holds_to INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("server-v8-recovery-reports") { db in
            // When each office last raised the recovery epoch (Unix seconds): at most once per
            // recoveryInterval.
            try db.execute(sql: "ALTER TABLE _server_activity ADD COLUMN recovery_reported_at REAL")
        }
        migrator.registerMigration("server-v9-restore") { db in
            // Set in a copy by `backup`: when the copy was taken, and — once a server serves the
            // copy, i.e. it was restored — since when and until when other offices may send
            // back what the restore lost of an office's changes (Unix seconds).
            try db.execute(
                sql: """
                    CREATE TABLE _server_restore (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        backup_taken_at TEXT NOT NULL,
                        serving_since REAL,
                        relays_until REAL
                    );
                    """)
        }
        migrator.registerMigration("server-v10-no-office-tables") { db in
            // A store made before the store had a schema of its own was made as an office's
            // replica: its data tables (always empty here), their triggers, the change log and
            // the remote settings go. The states, feed and routes stay as they are.
            for table in StoreSchema.officeOnlyTables { try db.execute(sql: "DROP TABLE IF EXISTS \(table)") }
        }
        migrator.registerMigration("server-v11-erasures") { db in
            // Which office confirmed which erasure order, and when: the proof per office
            // (`syncctl admin erasures`). The orders themselves are record states.
            try db.execute(
                sql: """
                    CREATE TABLE _server_erasure_confirmations (
                        order_id TEXT NOT NULL,
                        office TEXT NOT NULL,
                        confirmed_at TEXT NOT NULL,
                        PRIMARY KEY (order_id, office)
                    ) WITHOUT ROWID;
                    """)
            try db.execute(sql: StoreSchema.scrubTable)
            // The Träger's retention deadlines (JSON, `RetentionRules`), set by an admin.
            try db.execute(
                sql: "CREATE TABLE _server_retention (id INTEGER PRIMARY KEY CHECK (id = 1), rules TEXT NOT NULL)")
        }
        return migrator
    }

    public func push(
        _ batch: ChangeBatch, key: String?, from office: Office, replica pusher: ReplicaID?, validator: StateValidator
    ) async throws -> PushReceipt {
        if let key,
            let earlier = try await states.read({ @Sendable db -> PushReceipt? in
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT received, stored, already_known, conflicts, refused FROM _server_pushes
                        WHERE office = ? AND key = ?
                        """,
                    arguments: [office.name, key]
                ).map {
                    PushReceipt(
                        received: $0[0], stored: $0[1], alreadyKnown: $0[2], conflicts: $0[3],
                        refused: ($0[4] as String?).flatMap {
                            try? JSONDecoder().decode([RefusedChange].self, from: Data($0.utf8))
                        })
                }
            })
        {
            var receipt = earlier
            receipt.head = try await feedHead()
            return receipt
        }
        if let pusher { try await claim(pusher, for: office) }
        // Which office wrote what comes from the registry, never from the request: the replicas
        // bound to this office's token carry its registered name; the names the batch lists are
        // ignored (an office could otherwise pass its writes off as another's in a conflict).
        let bound = try await replicas(of: office)
        var batch = batch
        batch.offices = Dictionary(uniqueKeysWithValues: bound.map { ($0, office.name) })
        // The office's Quartiere come from its token too: each state that breaks a rule, or
        // that the office may not write, is refused alone in the transaction that stores the
        // others.
        let summary = try await states.apply(
            batch, from: .downstream(acknowledging: pusher.map { .init(replica: $0, position: batch.cursor) }),
            validator: validator,
            scope: WriteScope(
                quartiers: office.quartiers, replicas: bound, othersReached: try await reachedByOtherOffices(office)))
        // What erasing those records brings about here (audit entries, organiser references),
        // and no copy of the erased values left in the files.
        if summary.erased.contains(where: { $0.table != .resolutions && $0.table != .erasures }) {
            try await states.eraseConsequences(of: summary.erased)
        } else if !summary.erased.isEmpty {
            await states.scrubAfterCommit()
        }
        let refused = summary.refused.map {
            RefusedChange(table: $0.key.table.rawValue, id: $0.key.id, code: $0.code, message: $0.message)
        }
        let accepted = summary.received - refused.count
        let receipt = PushReceipt(
            received: summary.received, stored: accepted - summary.alreadyKnown,
            alreadyKnown: summary.alreadyKnown, conflicts: summary.conflicted, refused: refused.isEmpty ? nil : refused,
            head: try await feedHead())
        if let key {
            let refusedJSON = refused.isEmpty ? nil : String(decoding: try JSONEncoder().encode(refused), as: UTF8.self)
            try await states.write { db in
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO _server_pushes
                            (office, key, received, stored, already_known, conflicts, refused)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        office.name, key, receipt.received, receipt.stored, receipt.alreadyKnown,
                        receipt.conflicts ?? 0, refusedJSON,
                    ])
            }
        }
        return receipt
    }

    /// How long after a restore other offices may send back an office's changes the restore
    /// lost (an office that was offline for weeks returns within it): 60 days.
    public static let relayWindow: Double = 60 * 24 * 3600

    /// Copies the store into a new file at `path` while it serves (SQLite's online backup; see
    /// `StateStore.backup(to:marking:)`), marked as a backup: a server that serves the copy knows
    /// it was restored, and for ``relayWindow`` takes from any office the changes of other
    /// offices that the restore lost.
    public func backup(to path: String) throws -> StateStore.Backup {
        try states.backup(to: path) { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO _server_restore (id, backup_taken_at)
                    VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ','now'))
                    """)
        }
    }

    /// The restore window as the store holds it: whether a server has served this copy yet,
    /// and until when (Unix seconds) it takes other offices' lost changes from any office; nil
    /// when the store was never restored.
    private static func restoreWindow(_ db: Database) throws -> (opened: Bool, until: Double?)? {
        try Row.fetchOne(db, sql: "SELECT serving_since, relays_until FROM _server_restore WHERE id = 1").map {
            (($0[0] as Double?) != nil, $0[1])
        }
    }

    /// Opens the restore window at the first push a restored copy serves; returns its end.
    private func openRestoreWindow() async throws -> Double? {
        try await states.write { db in
            try db.execute(
                sql: """
                    UPDATE _server_restore SET serving_since = ?1, relays_until = ?1 + ?2
                    WHERE id = 1 AND serving_since IS NULL
                    """, arguments: [Date().timeIntervalSince1970, Self.relayWindow])
            return try Self.restoreWindow(db)?.until
        }
    }

    public func pull(since cursor: Int64, limit: Int, for office: Office) async throws -> EncodedBatch {
        try await states.encodedChanges(since: cursor, limit: limit, quartiers: office.quartiers)
    }

    public func session(for office: Office, replica asking: ReplicaID?) async throws -> Session {
        if let asking { try await claim(asking, for: office) }
        let held = try await states.knowledge(for: asking)
        // Only about this office's own replicas: which replicas other offices sync with, and how
        // much each wrote, is theirs.
        let own = try await replicas(of: office)
        let (epoch, delivered) = try await states.read { db in
            (try Int64.fetchOne(db, sql: "SELECT epoch FROM _server_recovery") ?? 0, try Self.delivered(db))
        }
        return Session(
            office: office.name, quartiers: office.quartiers, storeId: storeID, head: held.head,
            acknowledged: held.acknowledged,
            knowledge: Dictionary(
                uniqueKeysWithValues: held.knowledge.counters.filter { own.contains($0.key) }.map {
                    ($0.key.rawValue, $0.value)
                }),
            epoch: epoch, delivered: delivered, erasures: try await outstandingErasureCount(for: office))
    }

    /// For each Quartier an active office serves, the furthest position an office serving it
    /// holds (`*`: every office receives shared records).
    static func delivered(_ db: Database) throws -> [String: Int64] {
        ServerLedger.delivered(
            try Row.fetchAll(
                db,
                sql: """
                    SELECT o.quartiers, coalesce(a.holds_to, 0) FROM _server_offices o
                    LEFT JOIN _server_activity a ON a.office = o.name
                    WHERE o.revoked_at IS NULL
                    """
            ).map { (ServerLedger.quartiers(json: $0[0]), $0[1]) })
    }

    /// The feed position of the store's latest change, read without holding a thread (a
    /// synchronous read here starves Swift concurrency's threads under concurrent pushes).
    private func feedHead() async throws -> Int64 {
        try await states.read { db in
            try Int64.fetchOne(db, sql: "SELECT store_seq FROM _sync_state WHERE id = 1") ?? 0
        }
    }

    /// The replicas bound to `office`.
    private func replicas(of office: Office) async throws -> Set<ReplicaID> {
        try await states.read { db in
            Set(
                try String.fetchAll(
                    db, sql: "SELECT replica_id FROM _server_replicas WHERE office = ?", arguments: [office.name]
                ).map(ReplicaID.init(rawValue:)))
        }
    }

    /// The replicas bound to registered offices other than `office` (revoked ones left out:
    /// their replicas sync no more, so only other offices can send what a restore lost of
    /// them), each with the highest number another office may send a new version of: none
    /// (0), unless the store was restored from a backup within ``relayWindow`` — then its
    /// largest counter in any state held, or the log position its pushes are acknowledged to.
    /// An office learns other offices' versions only from the server: outside a restore, one
    /// the server never held is a forgery (an existing number reused for a made-up value).
    private func reachedByOtherOffices(_ office: Office) async throws -> [ReplicaID: UInt64] {
        // One read per push: the window and the replicas together; a write only the first
        // time a restored copy serves.
        let (window, reached) = try await states.read { db in
            var reached: [ReplicaID: UInt64] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT r.replica_id, max(coalesce(k.counter, 0), coalesce(a.position, 0))
                    FROM _server_replicas r JOIN _server_offices o ON o.name = r.office
                    LEFT JOIN _sync_knowledge k ON k.replica_id = r.replica_id
                    LEFT JOIN _sync_acks a ON a.replica_id = r.replica_id
                    WHERE r.office <> ? AND o.revoked_at IS NULL
                    """, arguments: [office.name])
            {
                reached[ReplicaID(rawValue: row[0])] = UInt64(clamping: row[1] as Int64)
            }
            return (try Self.restoreWindow(db), reached)
        }
        var until = window?.until
        if let window, !window.opened { until = try await openRestoreWindow() }
        let relaying = until.map { Date().timeIntervalSince1970 < $0 } ?? false
        return relaying ? reached : reached.mapValues { _ in 0 }
    }

    /// Binds `replica` to `office` on first use; refuses it for any other office. The
    /// binding is read first, so only a replica's first sync writes.
    private func claim(_ replicaID: ReplicaID, for office: Office) async throws {
        let owner: @Sendable (Database) throws -> String? = { db in
            try String.fetchOne(
                db, sql: "SELECT office FROM _server_replicas WHERE replica_id = ?", arguments: [replicaID.rawValue])
        }
        var bound = try await states.read(owner)
        if bound == nil {
            bound = try await states.write { db in
                try db.execute(
                    sql: "INSERT OR IGNORE INTO _server_replicas (replica_id, office) VALUES (?, ?)",
                    arguments: [replicaID.rawValue, office.name])
                return try owner(db)
            }
        }
        guard bound == office.name else { throw ServerLedger.replicaOfAnotherOffice }
    }

    /// How often one office may raise the recovery epoch: a second report within this time
    /// answers the current epoch (an office that finds the store behind again so soon has
    /// nothing new to tell; a token used to flood the server with full resends does no harm).
    public static let recoveryInterval: Double = 15 * 60

    public func reportRecovery(from office: Office) async throws -> (epoch: Int64, raised: Bool) {
        try await states.write { db in
            let now = Date().timeIntervalSince1970
            let last = try Double.fetchOne(
                db, sql: "SELECT recovery_reported_at FROM _server_activity WHERE office = ?", arguments: [office.name])
            // A clock set back since the last report does not lock the office out.
            let raise = last.map { now - $0 >= Self.recoveryInterval || now < $0 } ?? true
            if raise {
                try db.execute(
                    sql: """
                        UPDATE _server_recovery SET epoch = epoch + 1, reported_by = ?,
                            reported_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                        """, arguments: [office.name])
                try db.execute(
                    sql: """
                        INSERT INTO _server_activity (office, recovery_reported_at) VALUES (?1, ?2)
                        ON CONFLICT (office) DO UPDATE SET recovery_reported_at = excluded.recovery_reported_at
                        """, arguments: [office.name, now])
            }
            return (try Int64.fetchOne(db, sql: "SELECT epoch FROM _server_recovery") ?? 0, raise)
        }
    }

    public func office(forToken token: String) async throws -> Office? {
        try await states.read { db in
            try Row.fetchOne(
                db,
                sql:
                    "SELECT name, quartiers, created_at, revoked_at FROM _server_offices WHERE token_hash = ? AND revoked_at IS NULL",
                arguments: [OfficeToken.hash(token)]
            ).map(Self.office)
        }
    }

    public func addOffice(name: String, quartiers: [String]) async throws -> (Office, token: String?) {
        let (name, quartiers) = try ServerLedger.checkedOffice(name: name, quartiers: quartiers)
        let token = OfficeToken.generate()
        let json = String(decoding: try JSONEncoder().encode(quartiers), as: UTF8.self)
        return try await states.write { db in
            let revoked = try String?.fetchOne(
                db, sql: "SELECT revoked_at FROM _server_offices WHERE name = ?", arguments: [name])
            if let revoked, revoked == nil {
                // An active office registered again takes the new Quartiere and keeps its token:
                // its next sync brings the new Quartiere's records and evicts the others.
                let before = try String.fetchOne(
                    db, sql: "SELECT quartiers FROM _server_offices WHERE name = ?", arguments: [name])
                if before != json {
                    try db.execute(
                        sql: "UPDATE _server_offices SET quartiers = ? WHERE name = ?", arguments: [json, name])
                    // How far it holds the feed was of its old Quartiere: it pulls the new ones
                    // from the start, and holds them only as far as it pulls again.
                    try db.execute(
                        sql: "UPDATE _server_activity SET holds_to = 0 WHERE office = ?", arguments: [name])
                }
                let office = try Row.fetchOne(
                    db, sql: "SELECT name, quartiers, created_at, revoked_at FROM _server_offices WHERE name = ?",
                    arguments: [name]
                ).map(Self.office)!
                return (office, nil)
            }
            // A revoked office registered again gets a new token and keeps its name (and holds
            // nothing the server knows of until it pulls again).
            try db.execute(sql: "UPDATE _server_activity SET holds_to = 0 WHERE office = ?", arguments: [name])
            try db.execute(
                sql: """
                    INSERT INTO _server_offices (name, quartiers, token_hash) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET quartiers = excluded.quartiers, token_hash = excluded.token_hash,
                        revoked_at = NULL, created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                    """,
                arguments: [name, json, OfficeToken.hash(token)])
            let office = try Row.fetchOne(
                db, sql: "SELECT name, quartiers, created_at, revoked_at FROM _server_offices WHERE name = ?",
                arguments: [name]
            ).map(Self.office)!
            return (office, token)
        }
    }

    public func offices() async throws -> [Office] {
        try await states.read { db in
            try Row.fetchAll(
                db, sql: "SELECT name, quartiers, created_at, revoked_at FROM _server_offices ORDER BY name"
            )
            .map(Self.office)
        }
    }

    public func revokeOffice(name: String) async throws {
        try await states.write { db in
            try db.execute(
                sql:
                    "UPDATE _server_offices SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE name = ? AND revoked_at IS NULL",
                arguments: [name])
            guard db.changesCount == 1 else {
                throw SyncError(.notFound, "no active office named '\(name)'")
            }
        }
    }

    /// An office from a row of `name, quartiers, created_at, revoked_at`.
    static func office(_ row: Row) -> Office {
        Office(
            name: row[0], quartiers: ServerLedger.quartiers(json: row[1]), createdAt: row[2], revokedAt: row[3])
    }

    public func addAdmin(name: String) async throws -> String {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw SyncError(.missingField, "the admin's name is empty", field: "name") }
        let token = OfficeToken.generate(prefix: OfficeToken.adminPrefix)
        try await states.write { db in
            try db.execute(
                sql: """
                    INSERT INTO _server_admins (name, token_hash) VALUES (?, ?)
                    ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, revoked_at = NULL,
                        created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                    """, arguments: [name, OfficeToken.hash(token)])
        }
        return token
    }

    public func admin(forToken token: String) async throws -> String? {
        try await states.read { db in
            try String.fetchOne(
                db, sql: "SELECT name FROM _server_admins WHERE token_hash = ? AND revoked_at IS NULL",
                arguments: [OfficeToken.hash(token)])
        }
    }

    public func revokeAdmin(name: String) async throws {
        try await states.write { db in
            try db.execute(
                sql: """
                    UPDATE _server_admins SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                    WHERE name = ? AND revoked_at IS NULL
                    """, arguments: [name])
            guard db.changesCount == 1 else { throw SyncError(.notFound, "no active admin named '\(name)'") }
        }
    }

    public func conflicts(within quartiers: [String]?) async throws -> [Conflict] {
        try await states.conflicts(within: quartiers)
    }

    public func conflict(id: String, within quartiers: [String]?) async throws -> Conflict {
        try await states.conflict(id: id, within: quartiers)
    }

    public func resolve(_ id: String, _ decision: ConflictDecision, reason: String, by decider: String) async throws
        -> Resolution
    {
        try await states.resolve(id, decision, reason: reason, by: decider)
    }

    public func officeOverviews() async throws -> [OfficeOverview] {
        let offices = try await offices()
        return try await states.read { db in
            var conflicts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT quartier, sum(conflicts) FROM _sync_records WHERE conflicts > 0 GROUP BY quartier")
            {
                conflicts[row[0] as String? ?? ""] = row[1]
            }
            var activity: [String: Row] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT office, last_seen_at, last_result, pulled_to FROM _server_activity")
            {
                activity[row[0]] = row
            }
            return try offices.map { office in
                let seen = activity[office.name]
                let pulledTo: Int64 = seen?[3] ?? 0
                var behind = 0
                for row in try Row.fetchAll(
                    db, sql: "SELECT quartier, count(*) FROM _sync_records WHERE seq > ? GROUP BY quartier",
                    arguments: [pulledTo])
                where Quartier.scope(office.quartiers, covers: row[0]) {
                    behind += row[1] as Int
                }
                let open = conflicts.filter { Quartier.scope(office.quartiers, covers: $0.key) }.values.reduce(0, +)
                return OfficeOverview(
                    name: office.name, quartiers: office.quartiers, revoked: office.revokedAt != nil,
                    lastSeenAt: seen?[1], lastResult: seen?[2], openConflicts: open, notYetPulled: behind)
            }
        }
    }

    public func note(_ event: SyncEvent, of office: Office) async throws {
        try await states.write { db in
            switch event {
            case .started:
                try db.execute(
                    sql: """
                        INSERT INTO _server_activity (office, last_seen_at, last_result)
                        VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ','now'), 'started')
                        ON CONFLICT (office) DO UPDATE SET last_seen_at = excluded.last_seen_at, last_result = 'started'
                        """, arguments: [office.name])
            case .pulledToEnd(let position, let holds):
                try db.execute(
                    sql: """
                        INSERT INTO _server_activity (office, last_seen_at, last_result, pulled_to, holds_to)
                        VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ','now'), 'ok', ?2, ?3)
                        ON CONFLICT (office) DO UPDATE SET last_seen_at = excluded.last_seen_at, last_result = 'ok',
                            pulled_to = excluded.pulled_to, holds_to = max(holds_to, excluded.holds_to)
                        """, arguments: [office.name, position, holds])
                try Self.confirmErasures(db, office: office, holds: holds)
            case .failed(let code):
                try db.execute(
                    sql: """
                        INSERT INTO _server_activity (office, last_seen_at, last_result)
                        VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?2)
                        ON CONFLICT (office) DO UPDATE SET last_seen_at = excluded.last_seen_at,
                            last_result = excluded.last_result
                        """, arguments: [office.name, code])
            }
        }
    }
}
