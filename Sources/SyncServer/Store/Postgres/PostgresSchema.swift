/// The PostgreSQL store's tables, version by version: the same tables and columns as the
/// SQLite server store's (so `sync-server store copy` moves rows one to one), in the schema
/// the server's role finds first on its `search_path` (by default the schema named like the
/// role: docs/operations.md, "PostgreSQL").
///
/// `_server_schema` holds the version. `sync-server migrate` (or `serve --migrate`) applies
/// what is missing under an advisory lock, so two servers started at once migrate once;
/// `serve` refuses a database at an older version otherwise.
enum PostgresSchema {
    /// ISO 8601 UTC with milliseconds, as the SQLite store writes times.
    static let nowISO = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

    /// The advisory lock key of migrations ("QSmigr").
    static let migrationLock: Int64 = 0x5153_6D69_6772

    /// Each version's statements, oldest first; the version is its index plus one.
    static let versions: [[String]] = [
        [
            """
            CREATE TABLE _sync_state (
                id integer PRIMARY KEY CHECK (id = 1),
                replica_id text NOT NULL,
                office text NOT NULL,
                store_seq bigint NOT NULL DEFAULT 0,
                created_at text NOT NULL DEFAULT \(nowISO)
            )
            """,
            """
            CREATE TABLE _sync_clock (
                id integer PRIMARY KEY CHECK (id = 1),
                counter bigint NOT NULL DEFAULT 0,
                hlc_ms bigint NOT NULL DEFAULT 0,
                hlc_logical bigint NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE _sync_records (
                tbl text NOT NULL,
                id text NOT NULL,
                seq bigint NOT NULL,
                quartier text,
                visible integer NOT NULL,
                conflicts integer NOT NULL DEFAULT 0,
                state bytea NOT NULL,
                moved integer NOT NULL DEFAULT 0,
                PRIMARY KEY (tbl, id)
            )
            """,
            "CREATE UNIQUE INDEX _sync_records_seq ON _sync_records (seq)",
            "CREATE INDEX _sync_records_conflicts ON _sync_records (conflicts) WHERE conflicts > 0",
            """
            CREATE TABLE _sync_routes (
                tbl text NOT NULL,
                id text NOT NULL,
                quartier text NOT NULL,
                announced integer NOT NULL DEFAULT 0,
                PRIMARY KEY (tbl, id, quartier)
            )
            """,
            "CREATE TABLE _sync_replicas (replica_id text PRIMARY KEY, office text NOT NULL)",
            "CREATE TABLE _sync_knowledge (replica_id text PRIMARY KEY, counter bigint NOT NULL)",
            "CREATE TABLE _sync_acks (replica_id text PRIMARY KEY, position bigint NOT NULL)",
            """
            CREATE TABLE _server_offices (
                name text PRIMARY KEY,
                quartiers text NOT NULL,
                token_hash text NOT NULL UNIQUE,
                created_at text NOT NULL DEFAULT \(nowISO),
                revoked_at text
            )
            """,
            """
            CREATE TABLE _server_pushes (
                office text NOT NULL,
                key text NOT NULL,
                received integer NOT NULL,
                stored integer NOT NULL,
                already_known integer NOT NULL,
                at text NOT NULL DEFAULT \(nowISO),
                conflicts integer NOT NULL DEFAULT 0,
                refused text,
                PRIMARY KEY (office, key)
            )
            """,
            """
            CREATE TABLE _server_recovery (
                id integer PRIMARY KEY CHECK (id = 1),
                epoch bigint NOT NULL,
                reported_by text,
                reported_at text
            )
            """,
            "INSERT INTO _server_recovery (id, epoch) VALUES (1, 0)",
            """
            CREATE TABLE _server_admins (
                name text PRIMARY KEY,
                token_hash text NOT NULL UNIQUE,
                created_at text NOT NULL DEFAULT \(nowISO),
                revoked_at text
            )
            """,
            """
            CREATE TABLE _server_activity (
                office text PRIMARY KEY,
                last_seen_at text,
                last_result text,
                pulled_to bigint NOT NULL DEFAULT 0,
                holds_to bigint NOT NULL DEFAULT 0,
                recovery_reported_at double precision
            )
            """,
            """
            CREATE TABLE _server_replicas (
                replica_id text PRIMARY KEY,
                office text NOT NULL,
                bound_at text NOT NULL DEFAULT \(nowISO)
            )
            """,
            """
            CREATE TABLE _server_restore (
                id integer PRIMARY KEY CHECK (id = 1),
                backup_taken_at text NOT NULL,
                serving_since double precision,
                relays_until double precision
            )
            """,
            """
            CREATE TABLE _server_erasure_confirmations (
                order_id text NOT NULL,
                office text NOT NULL,
                confirmed_at text NOT NULL,
                PRIMARY KEY (order_id, office)
            )
            """,
            "CREATE TABLE _server_retention (id integer PRIMARY KEY CHECK (id = 1), rules text NOT NULL)",
        ]
    ]

    /// The version this release writes.
    static var current: Int { versions.count }
}
