import Foundation
import SyncKernel
import SyncServer
import TestSupport
import Testing

/// What only the PostgreSQL store has: moving a SQLite deployment onto it, versioned
/// migrations, connection settings without a password on the command line. (Its semantics are
/// those of the SQLite store, proven by the route, end-to-end and randomised suites, which run
/// against both.) Needs PostgreSQL's server binaries: `.ci/run` installs and starts them; locally
/// the tests start a cluster of their own (`scripts/test-postgres`), and say so when they cannot.
@Suite("PostgreSQL store", .serialized)
struct PostgresStoreTests {
    @Test(
        "PostgreSQL is here, so every store test also runs against it",
        .enabled(if: TestPostgres.installed, TestPostgres.skipped))
    func clusterRuns() throws {
        let cluster = try #require(TestPostgres.cluster)
        #expect(try cluster.sql("SELECT 1") == "1")
        #expect(StoreKind.all == [.sqlite, .postgres])
    }

    @Test(
        "a SQLite deployment moves to PostgreSQL with one command; its offices sync on with their tokens, downloading nothing again",
        .enabled(if: TestPostgres.installed, TestPostgres.skipped))
    func storeCopy() throws {
        let cluster = try #require(TestPostgres.cluster)
        let workspace = TemporaryDirectory("quartiersync-pg")
        var server = try SyncServerProcess.start(in: workspace)
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let sued = try OfficeReplica("Kuckuck Süd", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        for name in ["Erika Beispiel", "Jonas Muster", "Aylin Beispiel"] {
            #expect(try kuckuck.syncctl(["contact", "add", "--name", name, "--quartier", "kuckuck"]).status == 0)
        }
        _ = try kuckuck.sync()
        #expect(try sued.sync()["received"] as? Int == 3)
        let adminToken = try server.addAdmin("Koordination")
        let port = server.port
        let file = server.database
        server.stop()

        // The move: one command, into a new database.
        let target = try cluster.newDatabase()
        let copied = try Command.run(
            Binaries.server, ["store", "copy", "--from", file, "--to", target, "--json"],
            environment: ["LOG_LEVEL": "warning"])
        #expect(copied.status == 0, "\(copied.error)")
        let report = try copied.object()
        #expect((report["rows"] as? [String: Int])?["_sync_records"] == 3)
        // A second copy into the same database is refused and changes nothing.
        let again = try Command.run(Binaries.server, ["store", "copy", "--from", file, "--to", target])
        #expect(again.status != 0 && again.error.contains("empty database"), "\(again.error)")

        server = try SyncServerProcess.start(binary: Binaries.server, database: target, port: port)
        defer { server.stop() }
        // The same tokens, the same cursors: nothing is sent or received again.
        let first = try kuckuck.sync()
        #expect(first["received"] as? Int == 0 && first["alreadyHeld"] as? Int == 0, "\(first)")
        #expect(first["sent"] as? Int == 0)
        let second = try sued.sync()
        #expect(second["received"] as? Int == 0 && second["alreadyHeld"] as? Int == 0, "\(second)")
        // And nothing is missed: a new contact travels as before.
        #expect(try sued.syncctl(["contact", "add", "--name", "Max Muster", "--quartier", "kuckuck"]).status == 0)
        _ = try sued.sync()
        #expect(try kuckuck.sync()["received"] as? Int == 1)
        #expect(try kuckuck.contacts().count == 4)
        // The admin's token moved too.
        let offices = try Command.run(
            "/usr/bin/curl", ["-s", "-H", "Authorization: Bearer \(adminToken)", server.url + "/v2/admin/offices"])
        #expect(offices.output.contains("Kuckuck Süd"), "\(offices.output)")
    }

    @Test(
        "serve refuses a database at an older schema version until it is migrated; migrate runs once",
        .enabled(if: TestPostgres.installed, TestPostgres.skipped))
    func migrations() throws {
        let cluster = try #require(TestPostgres.cluster)
        let target = try cluster.newDatabase()
        let refused = try Command.run(
            Binaries.server, ["serve", "--store", target, "--port", "0"], environment: ["LOG_LEVEL": "warning"],
            timeout: 30)
        #expect(refused.status != 0)
        #expect(refused.error.contains("sync-server migrate --store"), "\(refused.error)")
        #expect(try cluster.sql("SELECT to_regclass('_sync_records') IS NULL", database: Self.name(target)) == "t")
        let migrated = try Command.run(Binaries.server, ["migrate", "--store", target])
        #expect(migrated.status == 0, "\(migrated.error)")
        let version = try cluster.sql("SELECT max(version) FROM _server_schema", database: Self.name(target))
        #expect(version == String(PostgresServerStore.schemaVersion))
        // Migrating again changes nothing; the store keeps its identity.
        let id = try cluster.sql("SELECT replica_id FROM _sync_state", database: Self.name(target))
        #expect(try Command.run(Binaries.server, ["migrate", "--store", target]).status == 0)
        #expect(try cluster.sql("SELECT replica_id FROM _sync_state", database: Self.name(target)) == id)
        let server = try SyncServerProcess.start(binary: Binaries.server, database: target)
        server.stop()
        // A database restored with PostgreSQL's tools is marked as such before its server starts.
        #expect(try Command.run(Binaries.server, ["store", "mark-restored", "--store", target]).status == 0)
        #expect(
            try cluster.sql(
                "SELECT count(*) FROM _server_restore WHERE serving_since IS NULL", database: Self.name(target))
                == "1")
    }

    @Test("a password on the command line is refused; PGPASSWORD and the password file are read as libpq does")
    func connectionSettings() throws {
        #expect(throws: SyncError.self) {
            try PostgresSettings(url: "postgres://quartiersync:geheim@db.example.org/quartiersync", environment: [:])
        }
        let plain = try PostgresSettings(url: "postgres://127.0.0.1/qs", environment: ["PGUSER": "quartiersync"])
        #expect(plain.user == "quartiersync" && plain.port == 5432 && plain.database == "qs")
        #expect(plain.sslMode == .prefer && plain.password == nil)
        let fromEnvironment = try PostgresSettings(
            url: "postgres://qs@/quartiersync?sslmode=verify-full&sslrootcert=/etc/qs/ca.pem",
            environment: ["PGHOST": "db.example.org", "PGPORT": "6432", "PGPASSWORD": "aus-der-umgebung"])
        #expect(fromEnvironment.host == "db.example.org" && fromEnvironment.port == 6432)
        #expect(fromEnvironment.sslMode == .verifyFull && fromEnvironment.rootCertificate == "/etc/qs/ca.pem")
        #expect(fromEnvironment.password == "aus-der-umgebung")
        #expect(!fromEnvironment.description.contains("aus-der-umgebung"))

        let workspace = TemporaryDirectory("quartiersync-pg")
        let file = workspace.file("pgpass")
        try "# comment\nother.example.org:*:*:*:falsch\ndb.example.org:5432:quartiersync:qs:pass\\:wort\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let fromFile = try PostgresSettings(
            url: "postgres://qs@db.example.org/quartiersync", environment: ["PGPASSFILE": file])
        #expect(fromFile.password == "pass:wort")
        // A password file others can read is ignored, as libpq does.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect(
            try PostgresSettings(url: "postgres://qs@db.example.org/quartiersync", environment: ["PGPASSFILE": file])
                .password == nil)
        #expect(throws: SyncError.self) {
            try PostgresSettings(url: "postgres://qs@db.example.org/q?sslmode=sometimes", environment: [:])
        }
    }

    @Test(
        "a PostgreSQL that is down is said as such: the command names the URL and what to check, without a password",
        .enabled(if: TestPostgres.installed, TestPostgres.skipped))
    func unreachable() throws {
        let result = try Command.run(
            Binaries.server, ["office", "list", "--store", "postgres://qs@127.0.0.1:1/quartiersync"],
            environment: ["PGPASSWORD": "geheim-im-env", "LOG_LEVEL": "warning"], timeout: 60)
        #expect(result.status != 0)
        #expect(result.error.contains("127.0.0.1:1"), "\(result.error)")
        #expect(!result.error.contains("geheim-im-env"))
    }

    @Test(
        "TLS to PostgreSQL: verify-full with the CA file connects; another CA, or a name the certificate lacks, is refused and said so",
        .enabled(if: TestPostgres.installed, TestPostgres.skipped))
    func tls() throws {
        let certificates = TLSTests()
        let (ca, cert, key) = try certificates.certificates(names: "DNS:localhost", prefix: "db")
        let otherAuthority = TLSTests()
        let other = try otherAuthority.certificates(names: "DNS:localhost", prefix: "other").ca
        // The server's certificate and key, readable by the cluster's user only.
        let directory = NSTemporaryDirectory() + "quartiersync-pg-tls-" + UUID().uuidString.prefix(8)
        let files = directory + "-certs"
        defer {
            _ = Command.shell("'\(TestPostgres.script)' stop '\(directory)'")
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: files)
        }
        let owner = getuid() == 0 ? "chown -R postgres '\(files)' && " : ""
        let prepared = Command.shell(
            "install -d -m 0700 '\(files)' && cp '\(cert)' '\(files)/server.pem' && cp '\(key)' '\(files)/server.key' "
                + "&& chmod 0600 '\(files)/server.key' && \(owner)true")
        try #require(prepared.status == 0, "\(prepared.output)")
        let port = PostgresCluster.freePort()
        let started = Command.shell(
            "QS_PG_OPTIONS='-c ssl=on -c ssl_cert_file=\(files)/server.pem -c ssl_key_file=\(files)/server.key' "
                + "'\(TestPostgres.script)' start '\(directory)' \(port)")
        try #require(started.status == 0, "\(started.output)")

        let verified = "postgres://postgres@localhost:\(port)/postgres?sslmode=verify-full&sslrootcert=\(ca)"
        let migrated = try Command.run(Binaries.server, ["migrate", "--store", verified], timeout: 60)
        #expect(migrated.status == 0, "\(migrated.error)")
        let cluster = PostgresCluster(url: "postgres://postgres@127.0.0.1:\(port)", dataDirectory: nil)
        #expect(try cluster.sql("SELECT count(*) FROM _server_schema") == "1")
        for (url, why) in [
            ("postgres://postgres@localhost:\(port)/postgres?sslmode=verify-full&sslrootcert=\(other)", "another CA"),
            ("postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=verify-full&sslrootcert=\(ca)", "another name"),
        ] {
            let refused = try Command.run(Binaries.server, ["office", "list", "--store", url], timeout: 60)
            #expect(refused.status != 0, "\(why)")
            #expect(refused.error.contains("TLS to the PostgreSQL store"), "\(why): \(refused.error)")
        }
    }

    static func name(_ url: String) -> String { String(url[url.index(after: url.lastIndex(of: "/")!)...]) }
}
