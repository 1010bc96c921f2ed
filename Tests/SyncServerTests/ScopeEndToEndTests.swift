import Foundation
import SyncCore
import SyncKernel
import SyncProtocol
import SyncRemote
import SyncStore
import TestSupport
import Testing

/// Scope on writes through a real `sync-server`: an office of Südstadt tries to change or
/// create Nordstadt's records — with `syncctl`, with the `sqlite3` shell on its own replica,
/// and with raw requests — and the Nordstadt office never sees any of it.
@Suite("Scope on writes end to end", .serialized)
struct ScopeEndToEndTests {
    let workspace = TemporaryDirectory("quartiersync-scope")

    /// A Nordstadt office holding one contact, a Südstadt office, both synced.
    func network(_ server: SyncServerProcess) throws -> (nord: OfficeReplica, sued: OfficeReplica, id: String) {
        let nord = try OfficeReplica("Nordstadt", directory: workspace.path, server: server, quartiers: ["nordstadt"])
        let sued = try OfficeReplica("Suedstadt", directory: workspace.path, server: server, quartiers: ["suedstadt"])
        let added = try nord.syncctl([
            "contact", "add", "--json", "--name", "Ada Beispiel", "--quartier", "nordstadt",
            "--email", "ada.beispiel@example.org", "--phone", "0511 0000001",
        ])
        #expect(added.status == 0, "\(added.error)")
        let id = try #require(try added.object()["id"] as? String)
        _ = try nord.sync()
        _ = try sued.sync()
        #expect(try sued.contacts().isEmpty)
        return (nord, sued, id)
    }

    func sqlite(_ office: OfficeReplica, _ sql: String) throws {
        let result = try Command.run("/usr/bin/sqlite3", [office.path, sql])
        #expect(result.status == 0, "\(result.error)")
    }

    /// What the Nordstadt office shows of its contact after syncing, and the server's state of it.
    func nordstadtSees(_ nord: OfficeReplica, _ id: String, _ server: SyncServerProcess) throws {
        _ = try nord.sync()
        let shown = try nord.replica().record(.contacts, id: id)
        #expect(shown["email"] == "ada.beispiel@example.org")
        #expect(shown["name"] == "Ada Beispiel")
        #expect(shown["quartier"] == "nordstadt")
        #expect(try nord.replica().conflicts().isEmpty)
        #expect(try nord.contacts().count == 1)
    }

    @Test(
        "a row forged over a Nordstadt contact with the sqlite3 shell is refused, reported, and kept visible",
        arguments: StoreKind.all)
    func forgedWriteWithTheShell(store: StoreKind) throws {
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let (nord, sued, id) = try network(server)
        try sqlite(
            sued,
            """
            INSERT INTO contacts (id, quartier, name, email)
            VALUES ('\(id)', 'nordstadt', 'Forged Name', 'forged@example.org')
            """)
        let synced = try sued.syncctl(["sync", "--json"])
        #expect(synced.status == 0, "\(synced.error)")
        let refused = try #require(try synced.object()["refused"] as? [[String: Any]])
        #expect(refused.count == 1)
        #expect(refused.first?["id"] as? String == id)
        #expect(refused.first?["code"] as? String == "outside-scope")
        #expect(refused.first?["table"] as? String == "contacts")

        // The office sees what happened: in plain text, in status, and the row is still there.
        try sqlite(sued, "UPDATE contacts SET notes = 'again' WHERE id = '\(id)'")
        let plain = try sued.syncctl(["sync"])
        #expect(plain.status == 0)
        #expect(plain.error.contains("refused 1 change"), "\(plain.error)")
        #expect(plain.error.contains(id))
        let status = try sued.status()
        #expect((status["refused"] as? [[String: Any]])?.count == 1)
        #expect((status["warnings"] as? [String])?.contains { $0.contains("refused") } == true)
        #expect(try sued.replica().record(.contacts, id: id)["name"] == "Forged Name")
        let shown = try sued.syncctl(["contact", "show", id])
        #expect(shown.status == 0)
        #expect(shown.error.contains("the server refused this office's change"), "\(shown.error)")

        try nordstadtSees(nord, id, server)
        // Nothing of the forgery reached the server's state.
        let stored = try #require(try server.storedState(of: RecordKey(.contacts, id)))
        #expect(stored.context[try sued.replica().id] == 0)
        let metrics = try Command.run("/usr/bin/curl", ["-s", server.url + "/metrics"]).output
        #expect(metrics.contains("quartiersync_changes_refused_total 2"), "\(metrics)")
    }

    @Test("a forged row claiming the forger's own Quartier does not move the record to it")
    func forgedMoveIntoOwnQuartier() throws {
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let (nord, sued, id) = try network(server)
        try sqlite(
            sued,
            "INSERT INTO contacts (id, quartier, name, email) VALUES ('\(id)', 'suedstadt', 'Forged', 'forged@example.org')"
        )
        let refused = try #require(try sued.sync()["refused"] as? [[String: Any]])
        #expect(refused.map { $0["code"] as? String } == ["outside-scope"])
        try nordstadtSees(nord, id, server)
        // A second Südstadt office never receives the forged row.
        let other = try OfficeReplica(
            "Suedstadt Zwei", directory: workspace.path, server: server, quartiers: ["suedstadt"])
        _ = try other.sync()
        #expect(try other.contacts().isEmpty)
    }

    @Test(
        "creating a contact for another Quartier is refused; for the office's own and shared ones it is not",
        arguments: StoreKind.all)
    func createOutsideScope(store: StoreKind) throws {
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let (nord, sued, _) = try network(server)
        for quartier in ["nordstadt", "suedstadt", "*"] {
            let added = try sued.syncctl(["contact", "add", "--name", "Bo Muster", "--quartier", quartier])
            #expect(added.status == 0, "\(added.error)")
            // Said at once where the office knows its Quartiere.
            #expect(added.error.contains("will refuse") == (quartier == "nordstadt"), "\(added.error)")
        }
        let refused = try #require(try sued.sync()["refused"] as? [[String: Any]])
        #expect(refused.map { $0["code"] as? String } == ["outside-scope"])
        _ = try nord.sync()
        // Nordstadt got the shared contact, not the one made for it by Südstadt.
        #expect(try nord.contacts().map { $0["quartier"] }.sorted { ($0 ?? "") < ($1 ?? "") } == ["*", "nordstadt"])
    }

    @Test("a raw push of a forged state is refused per change and stores nothing of it", arguments: StoreKind.all)
    func rawPush(store: StoreKind) async throws {
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let (nord, _, id) = try network(server)
        let token = try server.addOffice("Raw Suedstadt", quartiers: ["suedstadt"])
        let forger = try Replica.create(at: workspace.path + "/raw.sqlite", office: "Raw Suedstadt")
        try forger.insert(
            .contacts, values: ["id": id, "quartier": "nordstadt", "name": "Forged", "email": "forged@example.org"])
        try forger.insert(.contacts, values: ["quartier": "suedstadt", "name": "Bo Muster"])
        let client = try SyncClient(remote: try Remote(server: server.url, token: token), timeout: 10)
        let receipt = try await client.push(try forger.outgoing(limit: 10), key: "forged-1", replica: forger.id)
        #expect(receipt.received == 2)
        #expect(receipt.stored == 1)
        #expect(receipt.refused?.map(\.id) == [id])
        // The same push again is answered alike and changes nothing.
        let again = try await client.push(try forger.outgoing(limit: 10), key: "forged-1", replica: forger.id)
        #expect(again == receipt)
        try nordstadtSees(nord, id, server)
        // Pulling from the beginning shows the forger nothing of Nordstadt.
        let page = try await client.pull(since: 0, limit: 1000)
        #expect(!page.records.contains { $0.id == id })
        #expect(page.records.allSatisfy { Quartier.scope(["suedstadt"], covers: $0.route) })
    }

    @Test(
        "a refused change can be let go of on purpose with a reason: the warning clears, the note stays, nothing is sent again",
        arguments: StoreKind.all)
    func refusedDiscarded(store: StoreKind) async throws {
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let (_, sued, _) = try network(server)
        let added = try sued.syncctl([
            "contact", "add", "--json", "--name", "Max Muster", "--quartier", "nordstadt",
        ])
        let id = try #require(try added.object()["id"] as? String)
        _ = try sued.sync()
        let listed = try sued.syncctl(["refused", "list"])
        #expect(listed.output.contains("contacts \(id) (outside-scope"), "\(listed.output)")
        #expect(listed.output.contains("syncctl refused discard \(id) --reason TEXT"))
        #expect(try sued.syncctl(["status"]).output.contains("Refused changes: 1"))

        let unknown = try sued.syncctl(["refused", "discard", "no-such-id", "--reason", "x"])
        #expect(unknown.status != 0 && unknown.error.contains("syncctl refused list"), "\(unknown.error)")
        let noReason = try sued.syncctl(["refused", "discard", id, "--reason", " "])
        #expect(noReason.status == 65 && noReason.error.contains("--reason"), "\(noReason.error)")

        let discarded = try sued.syncctl(["refused", "discard", id, "--reason", "typed the wrong Quartier"])
        #expect(discarded.status == 0, "\(discarded.error)")
        #expect(!(try sued.syncctl(["status"]).output.contains("Refused")))
        #expect(try sued.syncctl(["refused", "list"]).output.contains("No refused changes."))
        let notes = try #require(
            try sued.syncctl(["refused", "list", "--discarded", "--json"]).json() as? [[String: Any]])
        #expect(notes.count == 1)
        #expect(notes.first?["reason"] as? String == "typed the wrong Quartier")
        #expect(notes.first?["code"] as? String == "outside-scope")
        // Not sent again: the next sync refuses nothing.
        let report = try sued.syncctl(["sync", "--json"]).object()
        #expect((report["refused"] as? [Any])?.isEmpty ?? true, "\(report)")
        #expect(!(try sued.syncctl(["status"]).output.contains("Refused")))
    }
}
