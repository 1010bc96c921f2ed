import GRDB

/// The tables of a ``StateStore`` in a file of its own (the server's): record states, their
/// routes, what the store knows of each replica, peers' positions, the clock of its own
/// writes. Nothing people or other tools edit, and no capture trigger.
///
/// An office's replica holds the same tables with the same columns, made by `ReplicaSchema`'s
/// migrations together with its data tables (and a few columns of its own in `_sync_state`).
/// A file made by QuartierSync before this schema (a server store made as a replica of kind
/// `server`) already has these tables: the migration leaves them and the server's own
/// migrations drop what only an office uses.
public enum StoreSchema {
    /// The store's migrations. A server registers its own after these, in one sequence.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("store-v1") { db in
            guard try !db.tableExists("_sync_records") else { return }
            try db.execute(sql: tables)
            try db.execute(sql: scrubTable)
        }
        return migrator
    }

    /// Milliseconds since 1970 with built-in SQL only (the system SQLite is 3.40: no 'subsec').
    package static let nowMilliseconds = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
    /// ISO 8601 UTC with milliseconds, e.g. `2025-06-16T12:00:00.000Z`.
    package static let nowISO = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
    /// A random version-4 UUID in lowercase text, built-in SQL only.
    package static let uuidDefault = """
        (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || \
        substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || \
        substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))
        """

    /// Notes a record's former route when its route changes here (v11: a route only
    /// announced by a push becomes a real one when the record really leaves it; v4 made the
    /// first version of this trigger, without that).
    package static let routeTrigger = """
        CREATE TRIGGER _sync_records_route AFTER UPDATE OF quartier ON _sync_records
        WHEN OLD.quartier IS NOT NEW.quartier AND OLD.quartier IS NOT NULL
        BEGIN
            -- Not INSERT OR IGNORE: inside a trigger the outer statement's conflict handling
            -- (the upsert's) takes over, and a route already known would abort it.
            INSERT INTO _sync_routes (tbl, id, quartier)
                SELECT OLD.tbl, OLD.id, OLD.quartier
                WHERE NOT EXISTS (
                    SELECT 1 FROM _sync_routes WHERE tbl = OLD.tbl AND id = OLD.id AND quartier = OLD.quartier);
            UPDATE _sync_routes SET announced = 0
                WHERE tbl = OLD.tbl AND id = OLD.id AND quartier = OLD.quartier AND announced = 1;
        END;
        """

    /// A row here says the WAL may still hold erased values: set in the transaction that
    /// erases, cleared once a TRUNCATE checkpoint emptied the WAL (a process killed in between
    /// leaves it set, and the next sync or start empties the WAL then).
    package static let scrubTable = "CREATE TABLE IF NOT EXISTS _sync_scrub (id INTEGER PRIMARY KEY CHECK (id = 1))"

    package static let tables = """
        CREATE TABLE _sync_clock (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            counter INTEGER NOT NULL DEFAULT 0,
            hlc_ms INTEGER NOT NULL DEFAULT 0,
            hlc_logical INTEGER NOT NULL DEFAULT 0,
            applying INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO _sync_clock (id) VALUES (1);
        CREATE TABLE _sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            replica_id TEXT NOT NULL,
            office TEXT NOT NULL,
            store_seq INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL DEFAULT (\(nowISO))
        );
        CREATE TABLE _sync_records (
            tbl TEXT NOT NULL,
            id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            quartier TEXT,
            visible INTEGER NOT NULL,
            conflicts INTEGER NOT NULL DEFAULT 0,
            state BLOB NOT NULL,
            moved INTEGER NOT NULL DEFAULT 0,
            UNIQUE (tbl, id)
        );
        CREATE UNIQUE INDEX _sync_records_seq ON _sync_records(seq);
        CREATE INDEX _sync_records_conflicts ON _sync_records(conflicts) WHERE conflicts > 0;
        CREATE TABLE _sync_routes (
            tbl TEXT NOT NULL,
            id TEXT NOT NULL,
            quartier TEXT NOT NULL,
            announced INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (tbl, id, quartier)
        ) WITHOUT ROWID;
        \(routeTrigger)
        CREATE TABLE _sync_replicas (
            replica_id TEXT PRIMARY KEY NOT NULL,
            office TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE _sync_cursors (
            peer TEXT PRIMARY KEY NOT NULL,
            cursor INTEGER NOT NULL,
            scope TEXT,
            epoch INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE _sync_knowledge (
            replica_id TEXT PRIMARY KEY NOT NULL,
            counter INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE _sync_acks (
            replica_id TEXT PRIMARY KEY NOT NULL,
            position INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    /// What a file made before ``StoreSchema`` (a server store made as a replica) holds that a
    /// store does not: the office's data tables (empty there; their triggers go with them),
    /// its change log, outbox marks, remote settings and sync history.
    public static let officeOnlyTables = [
        "contacts", "activities", "resolutions", "_sync_log", "_sync_remote", "_sync_runs", "_sync_refused",
        "_sync_leaving", "_sync_refusals_discarded",
    ]
}
