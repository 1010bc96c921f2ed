import Foundation
import GRDB
import SyncCore
import SyncRemote
import TestSupport
import Testing

/// Replica and token on disk: readable by their owner only, and the token never inside the
/// replica (a copied replica must not be a copied credential).
@Suite("Files at rest")
struct FilesAtRestTests {
    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) & 0o777
    }

    @Test("init creates the replica 0600 in a new directory 0700")
    func replicaPermissions() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let nested = cli.home + "/offices/kuckuck/replica.sqlite"
        #expect(try cli.run(["init", "--office", "Kuckuck", "--replica", nested], replicaFlag: false).status == 0)
        #expect(try mode(nested) == 0o600)
        #expect(try mode(cli.home + "/offices/kuckuck") == 0o700)
    }

    @Test("a token from standard input goes to <replica>.token, mode 0600, and not into the replica")
    func tokenFromStandardInput() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let token = "qs_" + String(repeating: "A", count: 43)
        let result = try cli.run(
            ["init", "--office", "Kuckuck", "--server", "http://127.0.0.1:9", "--token-file", "-"], input: token)
        #expect(result.status == 0, "\(result.error)")
        let file = cli.replica + ".token"
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains(token))
        #expect(try mode(file) == 0o600)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cli.replica))
        #expect(bytes.range(of: Data(token.utf8)) == nil)
        #expect(!(try cli.run(["remote", "show"]).output.contains(token)))
    }

    @Test("--token-file PATH stays where it is; one readable by others is named with what to do")
    func tokenFileReferenced() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let file = cli.home + "/office.token"
        let token = "qs_" + String(repeating: "B", count: 43)
        try token.write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let result = try cli.run([
            "init", "--office", "Kuckuck", "--server", "http://127.0.0.1:9", "--token-file", file,
        ])
        #expect(result.status == 0)
        #expect(result.error.contains("chmod 600 \(file)"))
        #expect(!FileManager.default.fileExists(atPath: cli.replica + ".token"))
        let stored = try DatabaseQueue(path: cli.replica).read { db in
            try Row.fetchOne(db, sql: "SELECT token, token_file FROM _sync_remote")
        }
        #expect(stored?["token"] as String? == "")
        #expect(stored?["token_file"] as String? == file)
        // Without the file, a sync says where the token belongs.
        try FileManager.default.removeItem(atPath: file)
        let sync = try cli.run(["sync"])
        #expect(sync.status == 78)
        #expect(sync.error.contains(file))
    }

    @Test("a replica that still holds its token inside has it moved to <replica>.token")
    func oldReplicaMigrates() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let token = "qs_" + String(repeating: "C", count: 43)
        // The settings table as releases before SyncRemote's own migrations made it, token inside.
        try DatabaseQueue(path: cli.replica).write { db in
            try db.execute(
                sql: """
                    CREATE TABLE _sync_remote (
                        id INTEGER PRIMARY KEY CHECK (id = 1), server_url TEXT NOT NULL, token TEXT NOT NULL,
                        token_file TEXT, ca_file TEXT, allow_insecure INTEGER NOT NULL DEFAULT 0);
                    INSERT INTO _sync_remote (id, server_url, token) VALUES (1, 'http://127.0.0.1:9', ?)
                    """,
                arguments: [token])
        }
        let replica = try Replica.open(at: cli.replica)
        #expect(try replica.remote()?.token == token)
        #expect(try mode(cli.replica + ".token") == 0o600)
        let left = try replica.database.read { try String.fetchOne($0, sql: "SELECT token FROM _sync_remote") }
        #expect(left == "")
    }

    @Test("export --out writes 0600, also over a file that was 0644")
    func exportPermissions() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        try cli.run(["contact", "add", "--name", "Erika Beispiel", "--quartier", "kuckuck"])
        let fresh = cli.home + "/contacts.csv"
        #expect(try cli.run(["export", "contacts", "--out", fresh]).status == 0)
        #expect(try mode(fresh) == 0o600)
        #expect(try String(contentsOfFile: fresh, encoding: .utf8).contains("Erika Beispiel"))
        let old = cli.home + "/old.csv"
        try "stale".write(toFile: old, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: old)
        #expect(try cli.run(["export", "contacts", "--out", old]).status == 0)
        #expect(try mode(old) == 0o600)
        #expect(!(try String(contentsOfFile: old, encoding: .utf8).contains("stale")))
    }

    @Test("backup --to writes one checked 0600 file that opens as the replica, and never overwrites")
    func officeBackup() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        try cli.run(["contact", "add", "--name", "Erika Beispiel", "--quartier", "kuckuck"])
        let file = cli.home + "/backup.sqlite"
        let made = try cli.run(["backup", "--to", file, "--json"])
        #expect(made.status == 0, "\(made.error)")
        #expect(try made.object()["records"] as? Int == 1)
        #expect(try mode(file) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: file + "-wal"))
        let copy = try Replica.open(at: file)
        #expect(try copy.records(.contacts).map { $0["name"] } == ["Erika Beispiel"])
        let again = try cli.run(["backup", "--to", file])
        #expect(again.status == 65 && again.error.contains("never overwrites"), "\(again.error)")
    }
}
