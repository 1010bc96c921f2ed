import GRDB
import SyncCore

/// What SyncRemote keeps in an office's replica, by its own migrations: the server settings
/// (`_sync_remote`: URL, token file, CA file, plain HTTP allowed) and the sync history
/// (`_sync_runs`). They run after the replica's own migrations, in one sequence per file, the
/// first time SyncRemote reads or writes them (`Replica.migrate(extendedBy:)`).
///
/// A replica made by an earlier release holds both tables already (made by SyncCore's
/// migrations then); `remote-v1` leaves them as they are.
enum RemoteSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("remote-v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS _sync_remote (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        server_url TEXT NOT NULL,
                        token TEXT NOT NULL,
                        token_file TEXT,
                        ca_file TEXT,
                        allow_insecure INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE IF NOT EXISTS _sync_runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        started_at TEXT NOT NULL,
                        duration_ms INTEGER NOT NULL,
                        result TEXT NOT NULL,
                        sent INTEGER NOT NULL DEFAULT 0,
                        received INTEGER NOT NULL DEFAULT 0,
                        merged INTEGER NOT NULL DEFAULT 0,
                        conflicts INTEGER NOT NULL DEFAULT 0,
                        error TEXT
                    );
                    """)
        }
    }
}
