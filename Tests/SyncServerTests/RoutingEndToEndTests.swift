import Foundation
import SyncCore
import SyncKernel
import SyncRemote
import TestSupport
import Testing

/// Deletes, moves and changes of an office's Quartiere through a real `sync-server`, with the
/// real Quartier filter and wire format, driven through `syncctl`.
@Suite("Routing end to end", .serialized)
struct RoutingEndToEndTests {
    func add(_ office: OfficeReplica, _ arguments: [String]) throws -> String {
        let result = try office.syncctl(["contact", "add", "--json"] + arguments)
        #expect(result.status == 0, "\(result.error)")
        return try #require(try result.object()["id"] as? String)
    }

    @Test("a contact deleted at one office disappears at the other office of its Quartier", arguments: StoreKind.all)
    func deleteSeenByTheQuartier(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let first = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let second = try OfficeReplica("Kuckuck Süd", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let id = try add(first, ["--name", "Erika Beispiel", "--quartier", "kuckuck", "--phone", "05151 000000"])
        _ = try first.sync()
        _ = try second.sync()
        #expect(try second.contacts().count == 1)
        #expect(try first.syncctl(["contact", "delete", id]).status == 0)
        _ = try first.sync()
        _ = try second.sync()
        #expect(try second.contacts().isEmpty)
        #expect(try second.syncctl(["contact", "show", id]).status == 66)
        #expect(try second.status()["pendingChanges"] as? Int == 0)
        // Editing it later at the office that never saw the delete is impossible: it is gone.
        #expect(try second.syncctl(["contact", "edit", id, "--notes", "x"]).status == 66)
    }

    @Test("a shared contact deleted by the state-wide office disappears at every office", arguments: StoreKind.all)
    func sharedDeleteSeenByAll(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let lag = try OfficeReplica("LAG", directory: workspace.path, server: server, quartiers: ["*"])
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let altstadt = try OfficeReplica("Altstadt", directory: workspace.path, server: server, quartiers: ["altstadt"])
        let id = try add(lag, ["--name", "Netzwerk Kontakt", "--quartier", "*"])
        for office in [lag, kuckuck, altstadt] { _ = try office.sync() }
        #expect(try kuckuck.contacts().count == 1 && altstadt.contacts().count == 1)
        #expect(try lag.syncctl(["contact", "delete", id]).status == 0)
        for office in [lag, kuckuck, altstadt] { _ = try office.sync() }
        for office in [lag, kuckuck, altstadt] {
            #expect(try office.contacts().isEmpty, "\(office.name) still lists the shared contact")
        }
    }

    @Test(
        "a contact moved to another Quartier leaves the old Quartier's offices and arrives at the new one's",
        arguments: StoreKind.all)
    func moveEvictsAndDelivers(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let watcher = try OfficeReplica(
            "Kuckuck Süd", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let altstadt = try OfficeReplica("Altstadt", directory: workspace.path, server: server, quartiers: ["altstadt"])
        let id = try add(
            kuckuck, ["--name", "Erika Beispiel", "--quartier", "kuckuck", "--email", "erika@example.org"])
        for office in [kuckuck, watcher, altstadt] { _ = try office.sync() }
        #expect(try altstadt.contacts().isEmpty)

        #expect(try kuckuck.syncctl(["contact", "edit", id, "--quartier", "altstadt"]).status == 0)
        let moved = try kuckuck.sync()
        // The office that moved it keeps it until an office of Altstadt holds it: a restore of
        // the server from an older backup cannot lose it meanwhile.
        #expect(moved["evicted"] as? Int == 0)
        #expect(try kuckuck.status()["handingOver"] as? Int == 1)
        let seen = try watcher.sync()
        #expect(seen["evicted"] as? Int == 1, "the other Kuckuck office lets it go at once: the mover holds it")
        _ = try altstadt.sync()
        _ = try altstadt.sync()  // its next pull tells the server it holds the contact
        let handedOver = try kuckuck.sync()
        #expect(handedOver["evicted"] as? Int == 1)
        for office in [kuckuck, watcher] {
            #expect(try office.contacts().isEmpty, "\(office.name) still lists the moved contact")
            let stored = try Command.run(
                "/usr/bin/sqlite3", [office.path, "SELECT count(*) FROM _sync_records; SELECT count(*) FROM _sync_log"])
            #expect(stored.output == "0\n0\n", "\(office.name) keeps the moved contact's state or log")
            #expect(try office.status()["pendingChanges"] as? Int == 0)
        }
        let arrived = try altstadt.replica().record(.contacts, id: id)
        #expect(arrived["email"] == "erika@example.org" && arrived["quartier"] == "altstadt")

        // Moved back, it returns to Kuckuck.
        #expect(try altstadt.syncctl(["contact", "edit", id, "--quartier", "kuckuck"]).status == 0)
        _ = try altstadt.sync()
        _ = try watcher.sync()
        _ = try watcher.sync()
        _ = try altstadt.sync()
        #expect(try altstadt.contacts().isEmpty)
        #expect(try watcher.replica().record(.contacts, id: id)["email"] == "erika@example.org")
    }

    @Test(
        "an office given other Quartiere on the server receives their records and lets go of the old ones",
        arguments: StoreKind.all)
    func officeTakesOverAQuartier(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let altstadt = try OfficeReplica("Altstadt", directory: workspace.path, server: server, quartiers: ["altstadt"])
        _ = try add(kuckuck, ["--name", "Erika Beispiel", "--quartier", "kuckuck"])
        _ = try add(altstadt, ["--name", "Jonas Muster", "--quartier", "altstadt"])
        _ = try add(altstadt, ["--name", "Netzwerk Kontakt", "--quartier", "*"])
        _ = try kuckuck.sync()
        _ = try altstadt.sync()
        _ = try kuckuck.sync()
        #expect(Set(try kuckuck.contacts().map { $0["quartier"]! }) == ["kuckuck", "*"])

        // Kuckuck's office takes over Altstadt as well, then gives Kuckuck up.
        try server.setQuartiers(of: "Kuckuck", to: ["kuckuck", "altstadt"])
        _ = try kuckuck.sync()
        #expect(Set(try kuckuck.contacts().map { $0["quartier"]! }) == ["kuckuck", "altstadt", "*"])
        try server.setQuartiers(of: "Kuckuck", to: ["altstadt"])
        // No office serves Kuckuck now: its records stay here, and status says so.
        let kept = try kuckuck.sync()
        #expect(kept["evicted"] as? Int == 0)
        let status = try kuckuck.status()
        #expect(status["unservedQuartiere"] as? [String] == ["kuckuck"])
        #expect((status["warnings"] as? [String])?.contains { $0.contains("no office serves kuckuck") } == true)
        // A new office takes Kuckuck over; once it holds the records, they leave.
        let successor = try OfficeReplica(
            "Kuckuck Neu", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        _ = try successor.sync()
        _ = try successor.sync()
        let summary = try kuckuck.sync()
        #expect(summary["evicted"] as? Int == 1)
        #expect(Set(try kuckuck.contacts().map { $0["quartier"]! }) == ["altstadt", "*"])
        #expect(try kuckuck.contacts() == altstadt.contacts())
        #expect(try successor.contacts().map { $0["name"] } == ["Erika Beispiel", "Netzwerk Kontakt"])
    }
}
