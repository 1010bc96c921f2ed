import Foundation
import SyncCore
import SyncKernel
import SyncRemote
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A server that lost data — restored from last night's backup, or started on an empty disk —
/// is refilled by the offices' next ordinary syncs, with nothing lost.
@Suite("Server recovery end to end", .serialized)
struct RecoveryTests {
    func add(_ office: OfficeReplica, _ name: String, _ quartier: String) throws -> String {
        let result = try office.syncctl(["contact", "add", "--name", name, "--quartier", quartier, "--json"])
        #expect(result.status == 0, "\(result.error)")
        return try #require(try result.object()["id"] as? String)
    }

    /// `sync-server backup --to FILE`, as docs/operations.md says, while the server runs: one
    /// file, readable by its owner only.
    func backUp(_ server: SyncServerProcess, to file: String) throws {
        let made = try JSONSerialization.jsonObject(
            with: Data(try server.run(["backup", "--db", server.database, "--to", file, "--json"]).utf8))
        #expect((made as? [String: Any])?["path"] as? String == file)
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o777 } == 0o600)
        #expect(!FileManager.default.fileExists(atPath: file + "-wal"))
    }

    /// Stops the server, puts `file` in place of its store (or nothing: a lost disk), starts it.
    func replaceStore(_ server: SyncServerProcess, with file: String?) throws {
        server.stop()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: server.database + suffix) }
        if let file { try FileManager.default.copyItem(atPath: file, toPath: server.database) }
        try server.restart()
    }

    @Test("after a restore from an older backup every office converges again and nothing acknowledged is lost")
    func restoreFromOlderBackup() throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let first = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let second = try OfficeReplica("Kuckuck Süd", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let altstadt = try OfficeReplica("Altstadt", directory: workspace.path, server: server, quartiers: ["altstadt"])
        let before = try add(first, "Erika Beispiel", "kuckuck")
        for office in [first, second, altstadt] { _ = try office.sync() }
        try backUp(server, to: workspace.path + "/nightly.sqlite")

        // After the backup: the server acknowledges these, then loses them.
        let after = try add(first, "Jonas Muster", "kuckuck")
        #expect(try first.syncctl(["contact", "edit", before, "--phone", "05151 222222"]).status == 0)
        _ = try first.sync()
        _ = try second.sync()
        let altstadtOnly = try add(altstadt, "Aylin Beispiel", "altstadt")
        _ = try altstadt.sync()
        try replaceStore(server, with: workspace.path + "/nightly.sqlite")

        // The next ordinary syncs, in any order, repair the server.
        let fresh = try add(second, "Max Muster", "kuckuck")
        let repaired = try second.sync()
        #expect(repaired["recovery"] as? String == "resend")
        for office in [first, altstadt, second, first] { _ = try office.sync() }
        let newcomer = try OfficeReplica(
            "Kuckuck Nord", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        _ = try newcomer.sync()

        let expected = try first.contacts()
        #expect(Set(expected.map { $0.id! }) == [before, after, fresh])
        #expect(try first.replica().record(.contacts, id: before)["phone"] == "05151 222222")
        #expect(try second.contacts() == expected)
        #expect(try newcomer.contacts() == expected, "a new office receives what the server had lost")
        #expect(try altstadt.contacts().map { $0.id! } == [altstadtOnly])
        for office in [first, second, altstadt] {
            #expect(try office.status()["pendingChanges"] as? Int == 0)
        }
    }

    @Test("a server started on an empty store is refilled by the offices")
    func emptyStoreRefilled() throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let lag = try OfficeReplica("LAG", directory: workspace.path, server: server, quartiers: ["*"])
        _ = try add(kuckuck, "Erika Beispiel", "kuckuck")
        _ = try add(lag, "Netzwerk Kontakt", "*")
        _ = try kuckuck.sync()
        _ = try lag.sync()
        _ = try kuckuck.sync()

        // The disk is lost: an empty store, the offices registered again with new tokens.
        try replaceStore(server, with: nil)
        for (office, quartiers) in [(kuckuck, ["kuckuck"]), (lag, ["*"])] {
            let token = try server.addOffice(office.name, quartiers: quartiers)
            let file = workspace.path + "/new-\(office.name).token"
            try token.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try office.syncctl(["remote", "set", "--server", server.url, "--token-file", file]).status == 0)
        }
        #expect(try lag.sync()["recovery"] as? String == "resend")
        _ = try kuckuck.sync()
        let newcomer = try OfficeReplica(
            "Kuckuck Süd", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        _ = try newcomer.sync()
        #expect(try newcomer.contacts() == kuckuck.contacts())
        #expect(try newcomer.contacts().count == 2)
    }

    @Test("a failing server store answers with the protocol's JSON error; syncctl exits 76 and keeps its edits")
    func storeErrorIsJSON() async throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        _ = try add(kuckuck, "Erika Beispiel", "kuckuck")
        // Break the store under the running server: the idempotency table is gone.
        let broken = try Command.run("/usr/bin/sqlite3", [server.database, "DROP TABLE _server_pushes"])
        #expect(broken.status == 0, "\(broken.error)")
        let result = try kuckuck.syncctl(["sync"])
        #expect(result.status == 76)
        #expect(result.error.contains("the server store failed"), "\(result.error)")
        #expect(try kuckuck.status()["pendingChanges"] as? Int == 1)

        let token = try server.addOffice("Altstadt", quartiers: ["altstadt"])
        var request = URLRequest(url: URL(string: server.url + "/v2/push")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("retry-1", forHTTPHeaderField: "Idempotency-Key")
        request.httpBody = Data(ChangeBatch(records: [], offices: [:], cursor: 0, hasMore: false).encoded())
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 500)
        #expect(
            (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("application/json")
                == true)
        let body = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect((body?["error"] as? [String: Any])?["code"] as? String == "store-failed")
    }
}
