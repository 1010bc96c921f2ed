import Foundation
import GRDB
import SyncKernel
import SyncStore

/// The replica's SQLite schema: the data tables other tools may use, and the `_sync_*` tables
/// and triggers that capture every committed edit. Documented in docs/replica-schema.md.
enum ReplicaSchema {
    static let nowMilliseconds = StoreSchema.nowMilliseconds
    static let nowISO = StoreSchema.nowISO
    static let uuidDefault = StoreSchema.uuidDefault

    /// The replica's migrations. A layer above that keeps tables of its own in the replica
    /// (SyncRemote) registers its migrations after these, in one sequence (`Replica.migrate`).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-replica") { db in
            try db.execute(sql: dataTables)
            try db.execute(sql: syncTables)
            for table in SyncTable.editable { try db.execute(sql: triggers(for: table)) }
            try db.execute(sql: activityChecks)
        }
        migrator.registerMigration("v2-remote") { _ in
            // Once the replica's server settings and sync history, and a `kind` column telling
            // an office's replica from a server's store. The settings are SyncRemote's now, made
            // by its own migrations after these (`RemoteSchema`); the server's store has a
            // schema of its own (`StoreSchema`). A file made before keeps what this made.
        }
        migrator.registerMigration("v3-log-without-row-index") { db in
            // Nothing reads the log by record; the index cost 2.7 µs of every captured write.
            try db.execute(sql: "DROP INDEX IF EXISTS _sync_log_row")
        }
        migrator.registerMigration("v4-routing") { db in
            try db.execute(sql: routingTables)
            for event in ["insert", "update"] { try db.execute(sql: "DROP TRIGGER _check_activities_\(event)") }
            try db.execute(sql: activityChecks)
            // What the states stored before this version know.
            var knowledge: [ReplicaID: UInt64] = [:]
            let states = try Row.fetchCursor(db, sql: "SELECT state FROM _sync_records")
            while let row = try states.next() {
                for (replica, counter) in try StateTable.decode(row[0] as Data?).context.counters {
                    knowledge[replica] = max(knowledge[replica] ?? 0, counter)
                }
            }
            for (replica, counter) in knowledge {
                try db.execute(
                    sql: "INSERT INTO _sync_knowledge (replica_id, counter) VALUES (?, ?)",
                    arguments: [replica.rawValue, Int64(clamping: counter)])
            }
        }
        migrator.registerMigration("v5-resolutions") { db in
            try db.execute(sql: resolutionTable)
            try db.execute(sql: triggers(for: .resolutions))
        }
        migrator.registerMigration("v6-token-file") { _ in
            // Once the token file's column in the server settings: SyncRemote's now (`RemoteSchema`).
        }
        migrator.registerMigration("v7-refused") { db in
            // Local changes the server refused (outside the office's Quartiere): they stay
            // visible here, marked, until a later push of the record is accepted.
            try db.execute(
                sql: """
                    CREATE TABLE _sync_refused (
                        tbl TEXT NOT NULL,
                        id TEXT NOT NULL,
                        code TEXT NOT NULL,
                        message TEXT NOT NULL,
                        refused_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                        PRIMARY KEY (tbl, id)
                    )
                    """)
        }
        migrator.registerMigration("v8-tls") { _ in
            // Once how to trust the server (a CA file, plain HTTP allowed): SyncRemote's now.
        }
        migrator.registerMigration("v9-log-routes") { db in
            // Each log entry keeps the Quartier its write left the record in (not personal
            // data): a record inserted and deleted, or inserted and moved, before its fold
            // still has a route, and one that was moved keeps the route it was created with.
            try db.execute(sql: "ALTER TABLE _sync_log ADD COLUMN route TEXT")
            for table in SyncTable.editable + [.resolutions] {
                for trigger in ["insert", "update", "delete", "id_immutable"] {
                    try db.execute(sql: "DROP TRIGGER IF EXISTS _sync_\(table.rawValue)_\(trigger)")
                }
                try db.execute(sql: triggers(for: table))
            }
        }
        migrator.registerMigration("v10-eviction-position") { db in
            // The log position up to which this office let go of the records it moved away
            // or created for other Quartiere. Kept apart from the push acknowledgement so that
            // a sync interrupted between its push and its evictions catches up on the next.
            try db.execute(sql: "ALTER TABLE _sync_state ADD COLUMN evicted_seq INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v11-announced-routes") { db in
            // A route an office's push names for a record (it held the record there) is only
            // announced: that Quartier's offices hear the record left it, but a push never
            // grants an office the right to write a record (issue #25). A route the record
            // really had (its merged route changed here) grants, as before.
            try db.execute(
                sql: """
                    ALTER TABLE _sync_routes ADD COLUMN announced INTEGER NOT NULL DEFAULT 0;
                    DROP TRIGGER _sync_records_route;
                    \(routeTrigger)
                    """)
        }
        migrator.registerMigration("v12-refused-taken") { db in
            // Whether the server once took a record it now refuses: such a record is kept
            // marked even when deleted here (other offices, or a restored server, may hold it).
            try db.execute(sql: "ALTER TABLE _sync_refused ADD COLUMN taken INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v13-handover") { db in
            // Records routed outside this office that wait until an office of their Quartier
            // holds them (`after`: the server's feed position it must hold); `unserved` when
            // the server said no office serves that Quartier.
            try db.execute(
                sql: """
                    CREATE TABLE _sync_leaving (
                        tbl TEXT NOT NULL,
                        id TEXT NOT NULL,
                        route TEXT NOT NULL,
                        after INTEGER NOT NULL,
                        unserved INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (tbl, id)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v14-refusals-discarded") { db in
            // Refusals an office let go of on purpose (`syncctl refused discard`), with why:
            // the record's mark is gone, this note stays.
            try db.execute(
                sql: """
                    CREATE TABLE _sync_refusals_discarded (
                        tbl TEXT NOT NULL,
                        id TEXT NOT NULL,
                        code TEXT NOT NULL,
                        refused_at TEXT,
                        reason TEXT NOT NULL,
                        discarded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
                    )
                    """)
        }
        migrator.registerMigration("v15-erasures") { db in
            // Erasure orders (DSGVO Art. 17), replicated like the audit trail; and what this
            // office has carried out of them.
            try db.execute(sql: erasureTable)
            try db.execute(sql: triggers(for: .erasures))
            try db.execute(sql: StoreSchema.scrubTable)
        }
        return migrator
    }

    /// Erasure orders, replicated like the data (``SyncTable/erasures``): no personal data.
    static let erasureTable = """
        CREATE TABLE erasures (
            id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuidDefault),
            quartier TEXT NOT NULL,
            record_table TEXT NOT NULL,
            record_id TEXT NOT NULL,
            ordered_by TEXT NOT NULL,
            reason TEXT NOT NULL,
            ordered_at TEXT NOT NULL,
            updated_at TEXT NOT NULL DEFAULT (\(nowISO))
        );
        CREATE INDEX erasures_record ON erasures(record_table, record_id);
        """

    /// The audit trail of settled conflicts, replicated like the data (``SyncTable/resolutions``).
    static let resolutionTable = """
        CREATE TABLE resolutions (
            id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuidDefault),
            quartier TEXT NOT NULL,
            conflict_id TEXT NOT NULL,
            record_table TEXT NOT NULL,
            record_id TEXT NOT NULL,
            field TEXT NOT NULL,
            decision TEXT NOT NULL,
            chosen_office TEXT,
            office TEXT NOT NULL,
            reason TEXT NOT NULL,
            resolved_at TEXT NOT NULL,
            updated_at TEXT NOT NULL DEFAULT (\(nowISO))
        );
        CREATE INDEX resolutions_quartier ON resolutions(quartier);
        CREATE INDEX resolutions_record ON resolutions(record_table, record_id);
        """

    /// What routing, evictions and anti-entropy need (docs/sync-model.md, "Routing"):
    /// - `_sync_records.quartier` is a record's route; `moved` says it had another one before,
    ///   and `_sync_routes` keeps those former routes, so the offices a record left hear of it;
    /// - `_sync_knowledge`: the largest counter of each replica in any state this store holds
    ///   (what a client compares to tell a server that lost data);
    /// - `_sync_acks`: per downstream replica, the log position up to which its pushes are
    ///   stored here, written in the transaction that stores them;
    /// - `_sync_cursors.scope`: the Quartiere the pull cursor was read for; `epoch`: the
    ///   server's recovery epoch at the last sync (it changes when some office found the
    ///   server had lost data).
    static let routeTrigger = StoreSchema.routeTrigger

    static let routingTables = """
        ALTER TABLE _sync_records ADD COLUMN moved INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE _sync_routes (
            tbl TEXT NOT NULL,
            id TEXT NOT NULL,
            quartier TEXT NOT NULL,
            PRIMARY KEY (tbl, id, quartier)
        ) WITHOUT ROWID;
        CREATE TRIGGER _sync_records_route AFTER UPDATE OF quartier ON _sync_records
        WHEN OLD.quartier IS NOT NEW.quartier AND OLD.quartier IS NOT NULL
        BEGIN
            -- Not INSERT OR IGNORE: inside a trigger the outer statement's conflict handling
            -- (the upsert's) takes over, and a route already known would abort it.
            INSERT INTO _sync_routes (tbl, id, quartier)
                SELECT OLD.tbl, OLD.id, OLD.quartier
                WHERE NOT EXISTS (
                    SELECT 1 FROM _sync_routes WHERE tbl = OLD.tbl AND id = OLD.id AND quartier = OLD.quartier);
        END;
        CREATE TABLE _sync_knowledge (
            replica_id TEXT PRIMARY KEY NOT NULL,
            counter INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE _sync_acks (
            replica_id TEXT PRIMARY KEY NOT NULL,
            position INTEGER NOT NULL
        ) WITHOUT ROWID;
        ALTER TABLE _sync_cursors ADD COLUMN scope TEXT;
        ALTER TABLE _sync_cursors ADD COLUMN epoch INTEGER;
        """

    static let dataTables = """
        CREATE TABLE contacts (
            id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuidDefault),
            quartier TEXT NOT NULL,
            name TEXT NOT NULL,
            organisation TEXT,
            role TEXT,
            email TEXT,
            phone TEXT,
            notes TEXT,
            consent_at TEXT,
            created_at TEXT NOT NULL DEFAULT (\(nowISO)),
            updated_at TEXT NOT NULL DEFAULT (\(nowISO))
        );
        CREATE INDEX contacts_quartier ON contacts(quartier);
        CREATE TABLE activities (
            id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuidDefault),
            quartier TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT,
            starts_at TEXT NOT NULL,
            ends_at TEXT,
            location TEXT,
            handlungsfeld TEXT NOT NULL,
            organiser_id TEXT,
            status TEXT NOT NULL DEFAULT 'planned',
            created_at TEXT NOT NULL DEFAULT (\(nowISO)),
            updated_at TEXT NOT NULL DEFAULT (\(nowISO))
        );
        CREATE INDEX activities_quartier ON activities(quartier);
        CREATE INDEX activities_starts_at ON activities(starts_at);
        CREATE INDEX activities_organiser ON activities(organiser_id);
        """

    static let syncTables = """
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
            folded_seq INTEGER NOT NULL DEFAULT 0,
            acked_seq INTEGER NOT NULL DEFAULT 0,
            store_seq INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL DEFAULT (\(nowISO)),
            last_sync_at TEXT
        );
        CREATE TABLE _sync_log (
            seq INTEGER PRIMARY KEY,
            tbl TEXT NOT NULL,
            row_id TEXT NOT NULL,
            op TEXT NOT NULL,
            hlc_ms INTEGER,
            hlc_logical INTEGER,
            mask INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX _sync_log_row ON _sync_log(tbl, row_id);
        CREATE TABLE _sync_records (
            tbl TEXT NOT NULL,
            id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            quartier TEXT,
            visible INTEGER NOT NULL,
            conflicts INTEGER NOT NULL DEFAULT 0,
            state BLOB NOT NULL,
            UNIQUE (tbl, id)
        );
        CREATE UNIQUE INDEX _sync_records_seq ON _sync_records(seq);
        CREATE INDEX _sync_records_conflicts ON _sync_records(conflicts) WHERE conflicts > 0;
        CREATE TABLE _sync_replicas (
            replica_id TEXT PRIMARY KEY NOT NULL,
            office TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE _sync_cursors (
            peer TEXT PRIMARY KEY NOT NULL,
            cursor INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    /// Checks of activities' coded values, for every client. Triggers rather than CHECK
    /// constraints, so that they can stand aside while remote states are applied: those were
    /// checked where they were written, and toggling `ignore_check_constraints` would expire
    /// every prepared statement of the connection.
    static var activityChecks: String {
        let fields = Handlungsfeld.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let statuses = ActivityStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return ["INSERT", "UPDATE"].map { event in
            // An update checks only the values it changes: a record revived after a delete may
            // show an empty value no store still holds, and must stay editable.
            func changed(_ column: String) -> String {
                event == "UPDATE" ? "OLD.\(column) IS NOT NEW.\(column) AND " : ""
            }
            return """
                CREATE TRIGGER _check_activities_\(event.lowercased()) BEFORE \(event) ON activities
                WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0
                    AND (\(changed("handlungsfeld"))NEW.handlungsfeld NOT IN (\(fields))
                        OR \(changed("status"))NEW.status NOT IN (\(statuses)))
                BEGIN
                    SELECT RAISE(ABORT, 'activities.handlungsfeld must be one of \(Handlungsfeld.allValues); activities.status one of planned, held, cancelled');
                END;
                """
        }.joined(separator: "\n")
    }

    /// What a capture trigger runs: the clock ticks and one change-log entry is appended.
    /// `row`, `mask` and `route` are SQL expressions (`NEW.id`, or `?1` bound by the caller);
    /// `route` is the Quartier the write leaves the record in (`OLD.quartier` for a delete).
    static func captureSQL(table: SyncTable, op: String, row: String, mask: String, route: String) -> String {
        """
        UPDATE _sync_clock SET counter = counter + 1,
            hlc_logical = CASE WHEN \(nowMilliseconds) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
            hlc_ms = max(hlc_ms, \(nowMilliseconds))
            WHERE id = 1;
        INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
            SELECT counter, '\(table.rawValue)', \(row), '\(op)', hlc_ms, hlc_logical, \(mask), \(route)
            FROM _sync_clock WHERE id = 1;
        """
    }

    /// Capture triggers for one table. Built-in SQL only, so that writes from the `sqlite3`
    /// shell or any other client are captured exactly like SyncCore's own.
    static func triggers(for table: SyncTable) -> String {
        let name = table.rawValue
        let applyingOff = "(SELECT applying FROM _sync_clock WHERE id = 1) = 0"
        let mask = table.fields.enumerated()
            .map { "((OLD.\($0.element) IS NOT NEW.\($0.element)) << \($0.offset))" }
            .joined(separator: " | ")
        func capture(op: String, row: String, mask: String) -> String {
            let record = row.hasPrefix("OLD") ? "OLD" : "NEW"
            return captureSQL(
                table: table, op: op, row: row, mask: mask, route: "\(record).\(RecordState.routingField)")
        }
        return """
            CREATE TRIGGER _sync_\(name)_insert AFTER INSERT ON \(name)
            WHEN \(applyingOff)
            BEGIN
            \(capture(op: "insert", row: "NEW.id", mask: String(table.allFieldsMask)))
            END;
            CREATE TRIGGER _sync_\(name)_update AFTER UPDATE ON \(name)
            WHEN \(applyingOff) AND (\(mask)) != 0
            BEGIN
            \(capture(op: "update", row: "NEW.id", mask: "(\(mask))"))
            UPDATE \(name) SET updated_at = \(nowISO)
                WHERE id = NEW.id AND NEW.updated_at IS OLD.updated_at;
            END;
            CREATE TRIGGER _sync_\(name)_delete AFTER DELETE ON \(name)
            WHEN \(applyingOff)
            BEGIN
            \(capture(op: "delete", row: "OLD.id", mask: "0"))
            END;
            CREATE TRIGGER _sync_\(name)_id_immutable BEFORE UPDATE OF id ON \(name)
            WHEN OLD.id IS NOT NEW.id
            BEGIN
                SELECT RAISE(ABORT, 'the id of a record cannot change: insert a new record instead');
            END;
            """
    }
}
