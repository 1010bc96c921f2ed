import Foundation
import SyncCore
import SyncKernel
import TestSupport
import Testing

/// Files made by the last release (`Tests/Fixtures/last-release`, made by its binaries) opened
/// by this release's binaries: the server's store sheds the office tables it never used and
/// keeps everything else; an office's replica syncs on as before.
@Suite("Files made by the last release", .serialized)
struct MigrationTests {
    static let fixtures = ShellBlock.root + "/Tests/Fixtures/last-release"

    /// Makes the SQLite file `path` from the fixture dump `name`.
    func load(_ name: String, into path: String) throws {
        let dump = try String(contentsOfFile: Self.fixtures + "/" + name, encoding: .utf8)
        let loaded = try Command.run("/usr/bin/sqlite3", [path], input: dump)
        try #require(loaded.status == 0, "\(loaded.error)")
    }

    func sql(_ path: String, _ query: String) throws -> [String] {
        let result = try Command.run("/usr/bin/sqlite3", [path, query])
        try #require(result.status == 0, "\(result.error)")
        return result.output.split(separator: "\n").map(String.init)
    }

    /// The tables and triggers of a store file, by name.
    func schema(_ path: String) throws -> [String] {
        try sql(path, "SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY 1")
    }

    @Test("a new server store has no office table and no trigger but the one noting former routes")
    func newServerStore() throws {
        let workspace = TemporaryDirectory("quartiersync-migration")
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let schema = try schema(server.database)
        for office in ["contacts", "activities", "resolutions", "_sync_log", "_sync_remote", "_sync_runs"] {
            #expect(!schema.contains("table \(office)"), "\(schema)")
        }
        #expect(schema.filter { $0.hasPrefix("trigger") } == ["trigger _sync_records_route"])
        #expect(schema.contains("table _sync_records") && schema.contains("table _server_offices"))
    }

    @Test("the last release's server store loses its office tables and keeps records, offices, tokens and cursors")
    func lastReleaseServerStore() throws {
        let workspace = TemporaryDirectory("quartiersync-migration")
        try load("server.sql", into: workspace.path + "/server.sqlite")
        let before = try schema(workspace.path + "/server.sqlite")
        try #require(before.contains("table contacts") && before.contains("trigger _sync_contacts_insert"))
        let storeID = try sql(workspace.path + "/server.sqlite", "SELECT replica_id FROM _sync_state")

        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let after = try schema(server.database)
        for table in ["contacts", "activities", "resolutions", "_sync_log", "_sync_remote", "_sync_runs"] {
            #expect(!after.contains("table \(table)"), "\(after)")
        }
        #expect(after.filter { $0.hasPrefix("trigger") } == ["trigger _sync_records_route"])
        #expect(try sql(server.database, "SELECT count(*) FROM _sync_records") == ["3"])
        #expect(try sql(server.database, "SELECT replica_id FROM _sync_state") == storeID, "the store keeps its id")
        #expect(try sql(server.database, "PRAGMA integrity_check") == ["ok"])
        let offices = try server.run(["office", "list", "--db", server.database])
        #expect(offices.contains("Kuckuck") && offices.contains("Altstadt"))

        // Kuckuck's replica, made by the last release, with its token: it syncs on without
        // downloading again what it holds, and its new contact reaches the store.
        let replica = workspace.path + "/kuckuck.sqlite"
        try load("kuckuck.sql", into: replica)
        let token = workspace.path + "/kuckuck.token"
        try FileManager.default.copyItem(atPath: Self.fixtures + "/kuckuck.token", toPath: token)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: token)
        let home = ["HOME": workspace.path, "XDG_DATA_HOME": workspace.path + "/data"]
        func syncctl(_ arguments: [String]) throws -> Command.Result {
            try Command.run(Binaries.syncctl, arguments + ["--replica", replica], environment: home)
        }
        let moved = try syncctl(["remote", "set", "--server", server.url, "--token-file", token])
        #expect(moved.status == 0, "\(moved.error)")
        #expect(try syncctl(["contact", "add", "--name", "Max Muster", "--quartier", "kuckuck"]).status == 0)
        let synced = try syncctl(["sync", "--json"])
        try #require(synced.status == 0, "\(synced.error)")
        let figures = try synced.object()
        #expect(figures["sent"] as? Int == 1)
        #expect(figures["received"] as? Int == 0, "the replica's cursor on this store still holds: \(figures)")
        #expect(try sql(server.database, "SELECT count(*) FROM _sync_records") == ["4"])
        #expect(try Replica.open(at: replica).records(.contacts).count == 3)
        // SyncRemote's migrations ran after the replica's, in the same sequence; the history of
        // the last release's syncs is still there.
        let migrations = try sql(replica, "SELECT identifier FROM grdb_migrations")
        #expect(migrations.last == "remote-v1" && migrations.contains("v14-refusals-discarded"), "\(migrations)")
        let history = try syncctl(["log", "--json"])
        #expect(history.status == 0, "\(history.error)")
        let runs = try JSONSerialization.jsonObject(with: Data(history.output.utf8)) as? [[String: Any]]
        #expect(runs?.count == 3, "the last release's two syncs and this one: \(history.output)")
    }

    @Test(
        "syncctl on a server's store and sync-server on an office's replica each say what the file is, and change nothing"
    )
    func storesAreNotMixedUp() throws {
        let workspace = TemporaryDirectory("quartiersync-migration")
        let server = try SyncServerProcess.start(in: workspace)
        server.stop()
        let before = try schema(server.database)
        let refused = try Command.run(
            Binaries.syncctl, ["status", "--replica", server.database], environment: ["HOME": workspace.path])
        #expect(refused.status == 69)
        #expect(refused.error.contains("sync server's store"), "\(refused.error)")
        #expect(try schema(server.database) == before, "no office table was made in it")

        let replica = workspace.path + "/kuckuck.sqlite"
        let made = try Command.run(
            Binaries.syncctl, ["init", "--office", "Kuckuck", "--replica", replica],
            environment: ["HOME": workspace.path])
        try #require(made.status == 0, "\(made.error)")
        let office = try schema(replica)
        let served = try Command.run(Binaries.server, ["office", "list", "--db", replica])
        #expect(served.status != 0)
        #expect(served.error.contains("an office's replica, not a sync server's store"), "\(served.error)")
        #expect(try schema(replica) == office, "no server table was made in it")
    }
}
