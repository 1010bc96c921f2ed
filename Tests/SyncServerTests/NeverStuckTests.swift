import Foundation
import SyncCore
import SyncKernel
import SyncProtocol
import SyncRemote
import TestSupport
import Testing

/// No state an office can hold stops its sync (issue #19), through a real `sync-server`,
/// `syncctl` and the `sqlite3` shell: records created and deleted (or moved and deleted)
/// before their first sync, and rows that break the server's rules next to good ones.
@Suite("No office is ever stuck", .serialized)
struct NeverStuckTests {
    let workspace = TemporaryDirectory("quartiersync-stuck")

    func sqlite(_ office: OfficeReplica, _ sql: String) throws {
        let result = try Command.run("/usr/bin/sqlite3", [office.path, sql])
        #expect(result.status == 0, "\(result.error)")
    }

    func add(_ office: OfficeReplica, _ arguments: [String]) throws -> String {
        let added = try office.syncctl(arguments + ["--json"])
        #expect(added.status == 0, "\(added.error)")
        return try #require(try added.object()["id"] as? String)
    }

    @Test("a contact added and deleted before the first sync: the office syncs, and its other contact arrives")
    func addDeleteBeforeSync() throws {
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let k1 = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let k2 = try OfficeReplica("Kuckuck Zwei", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        // The script, as a new user types it.
        let typo = try add(k1, ["contact", "add", "--name", "Tipp Fehler", "--quartier", "kuckuck"])
        let kept = try add(k1, ["contact", "add", "--name", "Bleibt", "--quartier", "kuckuck"])
        #expect(try k1.syncctl(["contact", "delete", typo]).status == 0)
        for _ in 0..<2 {
            let synced = try k1.syncctl(["sync"])
            #expect(synced.status == 0, "\(synced.error)")
        }
        _ = try k2.sync()
        #expect(try k2.contacts().map(\.id) == [kept])
        #expect((try k1.status()["refused"] as? [Any])?.isEmpty == true)
        #expect(try k1.status()["pendingChanges"] as? Int == 0)
    }

    @Test(
        "records inserted and deleted by the sqlite3 shell, alone or in one transaction, and moved then deleted, never block a sync"
    )
    func shellCreateDelete() throws {
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let k1 = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let k2 = try OfficeReplica("Kuckuck Zwei", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let nord = try OfficeReplica("Nordstadt", directory: workspace.path, server: server, quartiers: ["nordstadt"])
        try sqlite(
            k1,
            """
            INSERT INTO contacts (id, name, quartier) VALUES ('c-shell', 'Kurz', 'kuckuck');
            DELETE FROM contacts WHERE id = 'c-shell';
            BEGIN;
            INSERT INTO contacts (id, name, quartier) VALUES ('c-txn', 'Kurz', 'kuckuck');
            DELETE FROM contacts WHERE id = 'c-txn';
            COMMIT;
            INSERT INTO activities (id, title, quartier, starts_at, handlungsfeld)
                VALUES ('a-shell', 'Probe', 'kuckuck', '2026-06-16T14:00', 'zusammenleben');
            DELETE FROM activities WHERE id = 'a-shell';
            INSERT INTO contacts (id, name, quartier) VALUES ('c-moved', 'Umzug', 'kuckuck');
            UPDATE contacts SET quartier = 'nordstadt' WHERE id = 'c-moved';
            DELETE FROM contacts WHERE id = 'c-moved';
            INSERT INTO contacts (id, name, quartier) VALUES ('c-good', 'Gut', 'kuckuck');
            """)
        let activity = try add(
            k1,
            [
                "activity", "add", "--title", "Nachbarschaftscafé", "--starts", "2026-06-17T15:00", "--quartier",
                "kuckuck", "--handlungsfeld", "zusammenleben",
            ])
        #expect(try k1.syncctl(["activity", "delete", activity]).status == 0)
        let summary = try k1.sync()
        #expect((summary["refused"] as? [Any])?.isEmpty == true, "\(summary)")
        _ = try k2.sync()
        _ = try nord.sync()
        #expect(try k2.contacts().map(\.id) == ["c-good"])
        #expect(try k2.replica().records(.activities).isEmpty)
        #expect(try nord.contacts().isEmpty)
        // The server holds tombstones routed where the records were: no values, no names.
        let dump = try Command.run("/usr/bin/sqlite3", [server.database, ".dump"])
        #expect(!dump.output.contains("Kurz") && !dump.output.contains("Umzug"))
        let routes = try Command.run(
            "/usr/bin/sqlite3", [server.database, "SELECT id, quartier, visible FROM _sync_records ORDER BY id"])
        #expect(routes.output.contains("c-moved|nordstadt|0"), "\(routes.output)")
        #expect(routes.output.contains("c-shell|kuckuck|0"), "\(routes.output)")
        #expect(routes.output.contains("c-txn|kuckuck|0"), "\(routes.output)")
    }

    @Test(
        "an office holding broken states syncs its good changes; each broken one is refused alone, shown with what to do, and syncs once fixed or deleted"
    )
    func brokenStatesNextToGoodOnes() throws {
        let server = try SyncServerProcess.start(in: workspace, arguments: ["--max-field-length", "200"])
        defer { server.stop() }
        let k1 = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let k2 = try OfficeReplica("Kuckuck Zwei", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let long = String(repeating: "x", count: 300)
        // Every rule the server checks that a client of the replica can break with plain SQL.
        try sqlite(
            k1,
            """
            INSERT INTO contacts (id, name, quartier) VALUES ('good-1', 'Gut Eins', 'kuckuck');
            INSERT INTO contacts (id, name, quartier, consent_at) VALUES ('bad-date', 'Datum', 'kuckuck', 'gestern');
            INSERT INTO contacts (id, name, quartier, notes) VALUES ('bad-long', 'Lang', 'kuckuck', '\(long)');
            INSERT INTO contacts (id, name, quartier) VALUES ('bad id!', 'Kennung', 'kuckuck');
            INSERT INTO contacts (id, name, quartier) VALUES ('bad-quartier', 'Quartier', 'Kuckuck Süd!');
            INSERT INTO activities (id, title, quartier, starts_at, handlungsfeld)
                VALUES ('bad-start', 'Fest', 'kuckuck', 'morgen', 'zusammenleben');
            INSERT INTO contacts (id, name, quartier) VALUES ('good-2', 'Gut Zwei', 'kuckuck');
            """)
        let synced = try k1.syncctl(["sync", "--json"])
        #expect(synced.status == 0, "\(synced.error)")
        let refused = try #require(try synced.object()["refused"] as? [[String: Any]])
        #expect(
            Set(refused.compactMap { $0["id"] as? String }) == [
                "bad-date", "bad-long", "bad id!", "bad-quartier", "bad-start",
            ])
        for refusal in refused {
            let message = try #require(refusal["message"] as? String)
            for value in ["gestern", long, "Kuckuck Süd!", "morgen", "Datum", "Lang"] {
                #expect(!message.contains(value), "\(message)")
            }
        }
        _ = try k2.sync()
        #expect(Set(try k2.contacts().compactMap(\.id)) == ["good-1", "good-2"])
        #expect(try k2.replica().records(.activities).isEmpty)

        // status says what to do with each, and the sync is not failing.
        let status = try k1.syncctl(["status"])
        #expect(status.output.contains("Refused changes: 5"), "\(status.output)")
        #expect(status.output.contains("syncctl contact edit bad-date"), "\(status.output)")
        #expect(status.output.contains("syncctl activity edit bad-start"), "\(status.output)")
        #expect(!status.output.contains("gestern"))
        let shown = try k1.syncctl(["contact", "show", "bad-date"])
        #expect(shown.error.contains("refused"), "\(shown.error)")

        // Fixed or deleted, each syncs on the next run, and the marks go.
        #expect(try k1.syncctl(["contact", "edit", "bad-date", "--consent-at", "2026-03-26"]).status == 0)
        #expect(try k1.syncctl(["contact", "edit", "bad-long", "--notes", "kurz"]).status == 0)
        #expect(try k1.syncctl(["contact", "delete", "bad-quartier"]).status == 0)
        #expect(try k1.syncctl(["activity", "edit", "bad-start", "--starts", "2026-06-16T14:00"]).status == 0)
        try sqlite(k1, "DELETE FROM contacts WHERE id = 'bad id!'")
        let again = try k1.sync()
        #expect((again["refused"] as? [Any])?.isEmpty == true, "\(again)")
        #expect((try k1.status()["refused"] as? [Any])?.isEmpty == true)
        _ = try k2.sync()
        #expect(
            Set(try k2.contacts().compactMap(\.id)) == ["good-1", "good-2", "bad-date", "bad-long"])
        #expect(try k2.replica().records(.activities).count == 1)
    }

    @Test("status names a sync that failed the same way twice, with what to do, in text and JSON")
    func stuckSyncShows() throws {
        let server = try SyncServerProcess.start(in: workspace)
        let k1 = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        _ = try k1.sync()
        server.stop()
        #expect(try k1.syncctl(["sync"]).status != 0)
        #expect(try k1.status()["stuck"] is NSNull)
        #expect(try k1.syncctl(["sync"]).status != 0)
        let stuck = try #require(try k1.status()["stuck"] as? [String: Any])
        #expect(stuck["failedSyncs"] as? Int == 2)
        #expect(stuck["result"] as? String == "server-unreachable")
        let text = try k1.syncctl(["status"]).output
        #expect(text.contains("the last 2 syncs failed the same way (server-unreachable"), "\(text)")
        #expect(text.contains("syncctl remote show"), "\(text)")
    }

    @Test(
        "an answer that stalls half-way ends the sync with a clear message instead of holding it, and the next sync completes",
        .timeLimit(.minutes(2)))
    func stalledAnswer() throws {
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let k1 = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let k2 = try OfficeReplica("Kuckuck Zwei", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        for index in 0..<40 {
            _ = try add(k1, ["contact", "add", "--name", "Kontakt \(index)", "--quartier", "kuckuck"])
        }
        _ = try k1.sync()
        // Every connection of k2 gets its answer cut off after up to 1,500 bytes, and held open.
        let proxy = try FaultProxy.start(upstreamPort: server.port, seed: 19, share: 1, faults: [.stallResponse])
        defer { proxy.stop() }
        let moved = try k2.syncctl([
            "remote", "set", "--server", "http://127.0.0.1:\(proxy.port)", "--token-file",
            workspace.path + "/KuckuckZwei.token",
        ])
        #expect(moved.status == 0, "\(moved.error)")
        for _ in 0..<3 {
            let stalled = try k2.syncctl(["sync", "--timeout", "2"])
            #expect(stalled.status == 75, "\(stalled.output)\(stalled.error)")
            #expect(stalled.error.contains("stopped answering"), "\(stalled.error)")
        }
        #expect(proxy.counts[.stallResponse] ?? 0 >= 3)
        proxy.heal()
        let synced = try k2.syncctl(["sync", "--timeout", "2"])
        #expect(synced.status == 0, "\(synced.error)")
        #expect(try k2.contacts().count == 40)
    }
}
