import Foundation
import SyncCore
import SyncKernel
import SyncRemote
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Real `sync-server` processes on loopback, real replica files, driven through `syncctl`.
@Suite("End to end", .serialized)
struct EndToEndTests {
    @Test("offline edits on two offices converge, and different fields merge", arguments: StoreKind.all)
    func offlineEditsConverge(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let altstadt = try OfficeReplica("Altstadt", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let added = try kuckuck.syncctl([
            "contact", "add", "--name", "Erika Beispiel", "--quartier", "kuckuck", "--json",
        ])
        let id = try #require(try added.object()["id"] as? String)
        _ = try kuckuck.sync()
        _ = try altstadt.sync()
        #expect(try altstadt.contacts().count == 1)

        // Both offline: different fields of the same contact.
        try kuckuck.syncctl(["contact", "edit", id, "--phone", "05151 111111"])
        try altstadt.syncctl(["contact", "edit", id, "--role", "Mieterbeirat"])
        try altstadt.syncctl(["contact", "add", "--name", "Max Muster", "--quartier", "kuckuck"])
        _ = try kuckuck.sync()
        _ = try altstadt.sync()
        _ = try kuckuck.sync()

        #expect(try kuckuck.contacts() == altstadt.contacts())
        let merged = try kuckuck.replica().record(.contacts, id: id)
        #expect(merged["phone"] == "05151 111111")
        #expect(merged["role"] == "Mieterbeirat")
        #expect(try kuckuck.contacts().count == 2)
        #expect(try kuckuck.status()["openConflicts"] as? Int == 0)
        #expect(try kuckuck.status()["pendingChanges"] as? Int == 0)
    }

    @Test(
        "the same field edited on both sides shows one conflict on both, with the same provisional value",
        arguments: StoreKind.all)
    func sameFieldConflict(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["*"])
        let lag = try OfficeReplica("LAG", directory: workspace.path, server: server, quartiers: ["*"])
        let added = try lag.syncctl([
            "activity", "add", "--title", "Arbeitskreis Gemeinwesenarbeit", "--starts", "2025-06-16T10:00",
            "--quartier", "*",
            "--handlungsfeld", "zusammenleben", "--json",
        ])
        let id = try #require(try added.object()["id"] as? String)
        _ = try lag.sync()
        _ = try kuckuck.sync()
        try kuckuck.syncctl(["activity", "edit", id, "--location", "Stadtteiltreff Kuckuck"])
        try lag.syncctl(["activity", "edit", id, "--location", "Landtag Niedersachsen"])
        _ = try kuckuck.sync()
        let summary = try lag.sync()
        #expect(summary["conflicts"] as? Int == 1)
        _ = try kuckuck.sync()

        let left = try kuckuck.replica().conflicts()
        let right = try lag.replica().conflicts()
        #expect(left.count == 1)
        #expect(left.map(\.id) == right.map(\.id))
        #expect(left.first?.field == "location")
        #expect(Set(left.first?.versions.compactMap(\.office) ?? []) == ["Kuckuck", "LAG"])
        let shownLeft = try kuckuck.replica().record(.activities, id: id)["location"]
        let shownRight = try lag.replica().record(.activities, id: id)["location"]
        #expect(shownLeft == shownRight)
        #expect(shownLeft == left.first?.provisionalWinner.value)
    }

    @Test("a server restart between push and pull loses nothing", arguments: StoreKind.all)
    func serverRestart(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let altstadt = try OfficeReplica("Altstadt", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        for index in 0..<25 {
            try kuckuck.syncctl(["contact", "add", "--name", "Person \(index)", "--quartier", "kuckuck"])
        }
        #expect(try kuckuck.sync()["sent"] as? Int == 25)
        server.stop()
        try server.restart()
        _ = try altstadt.sync()
        #expect(try altstadt.contacts() == kuckuck.contacts())
        #expect(try altstadt.contacts().count == 25)
    }

    @Test("with the server down, sync exits 75 and keeps every pending change", arguments: StoreKind.all)
    func serverDown(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        try kuckuck.syncctl(["contact", "add", "--name", "Erika Beispiel", "--quartier", "kuckuck"])
        server.stop()
        let result = try kuckuck.syncctl(["sync", "--timeout", "5"])
        #expect(result.status == 75)
        #expect(result.error.contains("cannot reach"))
        #expect(result.error.split(separator: "\n").count == 1)
        #expect(try kuckuck.status()["pendingChanges"] as? Int == 1)
        #expect(try kuckuck.contacts().count == 1)
        let log = try #require(
            try JSONSerialization.jsonObject(with: Data(kuckuck.syncctl(["log", "--json"]).output.utf8))
                as? [[String: Any]])
        #expect(log.first?["result"] as? String == "server-unreachable")
        try server.restart()
        defer { server.stop() }
        #expect(try kuckuck.sync()["sent"] as? Int == 1)
        #expect(try kuckuck.status()["pendingChanges"] as? Int == 0)
    }

    @Test("a wrong or revoked token exits 77 and changes nothing", arguments: StoreKind.all)
    func refusedToken(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        try kuckuck.syncctl(["contact", "add", "--name", "Erika Beispiel", "--quartier", "kuckuck"])
        try server.run(["office", "revoke", "Kuckuck"] + server.storeArguments)
        let result = try kuckuck.syncctl(["sync"])
        #expect(result.status == 77)
        #expect(result.error.contains("token"))
        #expect(try kuckuck.status()["pendingChanges"] as? Int == 1)
        let wrong = try kuckuck.syncctl(
            ["remote", "set", "--server", server.url, "--token-file", "-"],
            input: "qs_" + String(repeating: "x", count: 43))
        #expect(wrong.status == 0)
        #expect(try kuckuck.syncctl(["sync"]).status == 77)
    }

    @Test(
        "an office of another Quartier receives none of the first Quartier's contacts, but shared ones",
        arguments: StoreKind.all)
    func quartierIsolation(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let nordstadt = try OfficeReplica(
            "Nordstadt", directory: workspace.path, server: server, quartiers: ["nordstadt"])
        try kuckuck.syncctl(["contact", "add", "--name", "Erika Beispiel", "--quartier", "kuckuck"])
        try kuckuck.syncctl(["contact", "add", "--name", "Netzwerk Kontakt", "--quartier", "*"])
        _ = try kuckuck.sync()
        _ = try nordstadt.sync()
        let seen = try nordstadt.contacts()
        #expect(seen.count == 1)
        #expect(seen.first?["quartier"] == "*")
    }

    @Test("a second sync of the same replica is refused with exit 79 while one runs", arguments: StoreKind.all)
    func concurrentSyncRefused(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        try kuckuck.syncctl(["contact", "add", "--name", "Erika Beispiel", "--quartier", "kuckuck"])
        // Hold the replica's sync lock the way a running sync does.
        let descriptor = open(kuckuck.path + ".sync-lock", O_CREAT | O_RDWR, 0o600)
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        let result = try kuckuck.syncctl(["sync"])
        flock(descriptor, LOCK_UN)
        close(descriptor)
        #expect(result.status == 79)
        #expect(result.error.contains("another sync"))
        #expect(try kuckuck.status()["pendingChanges"] as? Int == 1)
        #expect(try kuckuck.sync()["sent"] as? Int == 1)
    }
}
