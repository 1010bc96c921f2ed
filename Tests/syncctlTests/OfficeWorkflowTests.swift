import Foundation
import Logging
import SyncCore
import SyncKernel
import SyncRemote
import SyncServer
import TestSupport
import Testing

@Suite("syncctl offline")
struct OfficeWorkflowTests {
    @Test("an office records contacts and activities and sees every edit as pending, also from the sqlite3 shell")
    func offlineWalkthrough() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["init", "--office", "Stadtteiltreff Kuckuck"]).status == 0)
        let added = try cli.run([
            "contact", "add", "--name", "Erika Beispiel", "--quartier", "kuckuck", "--phone", "05151 000000", "--json",
        ])
        #expect(added.status == 0, "\(added.error)")
        let contact = try #require(try added.json() as? [String: Any])
        let id = try #require(contact["id"] as? String)
        #expect(contact["name"] as? String == "Erika Beispiel")
        let activity = try cli.run([
            "activity", "add", "--title", "Arbeitskreis Gemeinwesenarbeit", "--starts", "2025-06-16T14:00",
            "--quartier", "*", "--handlungsfeld", "zusammenleben", "--organiser", id, "--json",
        ])
        #expect(activity.status == 0, "\(activity.error)")
        #expect((try activity.json() as? [String: Any])?["organiser_id"] as? String == id)
        #expect(try cli.status()["pendingChanges"] as? Int == 2)

        let shell = try Command.run(
            "/usr/bin/sqlite3",
            [
                cli.replica,
                "UPDATE contacts SET notes = 'Ansprechperson Sommerfest'; INSERT INTO contacts (name, quartier) VALUES ('Max Muster', 'kuckuck');",
            ])
        #expect(shell.status == 0, "\(shell.error)")
        #expect(try cli.status()["pendingChanges"] as? Int == 4)

        let list = try #require(try cli.run(["contact", "list", "--json"]).json() as? [[String: Any]])
        #expect(list.count == 2)
        #expect(Set(list.flatMap { $0.keys }) == Set(SyncTable.contacts.columns))
        #expect(list.first { $0["id"] as? String == id }?["notes"] as? String == "Ansprechperson Sommerfest")

        let edited = try cli.run(["contact", "edit", id, "--phone", "05151 111111", "--json"])
        #expect((try edited.json() as? [String: Any])?["phone"] as? String == "05151 111111")
        #expect(try cli.run(["contact", "delete", id]).status == 0)
        #expect(try cli.run(["contact", "show", id]).status == 66)
        #expect(try cli.status()["pendingChanges"] as? Int == 6)
    }

    @Test("invalid input exits non-zero with one line saying what to do, and writes nothing")
    func invalidInputWritesNothing() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let cases: [([String], Int32, String)] = [
            (
                [
                    "activity", "add", "--title", "Fest", "--starts", "2025-02-30T10:00", "--quartier", "kuckuck",
                    "--handlungsfeld", "stadtteilkultur",
                ], 65, "2025-06-16T14:00"
            ),
            (
                [
                    "activity", "add", "--title", "Fest", "--starts", "2025-06-16T10:00", "--quartier", "kuckuck",
                    "--handlungsfeld", "fussball",
                ], 65, "sport-freizeit"
            ),
            (
                [
                    "activity", "add", "--title", "Fest", "--starts", "2025-06-16T10:00", "--quartier", "kuckuck",
                    "--handlungsfeld", "stadtteilkultur", "--organiser", "no-such-id",
                ], 66, "contact list"
            ),
            (["contact", "add", "--quartier", "kuckuck"], 65, "--name"),
            (["contact", "edit", "no-such-id", "--notes", "x"], 66, "contact list"),
            (
                ["contact", "add", "--name", "Erika", "--quartier", "kuckuck", "--consent-at", "26.03.2025"], 65,
                "2025-03-26"
            ),
        ]
        for (arguments, status, hint) in cases {
            let result = try cli.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1, "one line: \(result.error)")
            #expect(result.error.contains(hint), "\(result.error)")
        }
        #expect(try cli.status()["pendingChanges"] as? Int == 0)
        #expect(try cli.status()["contacts"] as? Int == 0)
    }

    @Test("without --replica the replica lives in the user's data directory, or at SYNCCTL_REPLICA")
    func defaultReplicaPath() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["init", "--office", "Kuckuck"], replicaFlag: false).status == 0)
        #expect(FileManager.default.fileExists(atPath: cli.home + "/data/quartiersync/replica.sqlite"))
        let elsewhere = cli.home + "/elsewhere.sqlite"
        #expect(
            try cli.run(
                ["init", "--office", "Altstadt"], replicaFlag: false, environment: ["SYNCCTL_REPLICA": elsewhere]
            ).status == 0)
        #expect(FileManager.default.fileExists(atPath: elsewhere))
        let missing = try cli.run(
            ["status"], replicaFlag: false, environment: ["SYNCCTL_REPLICA": cli.home + "/none.sqlite"])
        #expect(missing.status == 69)
        #expect(missing.error.contains("syncctl init"))
        #expect(try cli.run(["init", "--office", "Again"], replicaFlag: false).status == 73)
    }

    @Test("conflicts list shows both values of a field edited in two offices, with their offices")
    func conflictsList() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let kuckuck = try Replica.open(at: cli.replica)
        let altstadt = try Replica.inMemory(office: "Altstadt")
        // Both offices sync with a server store in process, through the sync `syncctl` runs.
        let relay = try SQLiteServerStore(inMemoryWith: Logger(label: "quartiersync.test"))
        var upstreams: [ReplicaID: InProcessUpstream] = [:]
        for (office, quartier) in [(kuckuck, "kuckuck"), (altstadt, "altstadt")] {
            let (registered, _) = try await relay.addOffice(name: office.office, quartiers: [quartier])
            upstreams[office.id] = InProcessUpstream(store: relay, office: registered)
        }
        func sync(_ office: Replica) async throws {
            _ = try await Synchronizer().sync(office, with: upstreams[office.id]!)
        }
        let contact = try kuckuck.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "*"])
        let id = try #require(contact.id)
        try await sync(kuckuck)
        try await sync(altstadt)
        try kuckuck.update(.contacts, id: id, changes: ["role": "Quartiersmanagerin"])
        try altstadt.update(.contacts, id: id, changes: ["role": "Sozialarbeiterin"])
        try await sync(kuckuck)
        try await sync(altstadt)
        try await sync(kuckuck)

        let conflicts = try #require(try cli.run(["conflicts", "list", "--json"]).json() as? [[String: Any]])
        #expect(conflicts.count == 1)
        let conflict = try #require(conflicts.first)
        #expect(conflict["field"] as? String == "role")
        #expect(conflict["recordId"] as? String == id)
        let versions = try #require(conflict["versions"] as? [[String: Any]])
        #expect(Set(versions.compactMap { $0["value"] as? String }) == ["Quartiersmanagerin", "Sozialarbeiterin"])
        #expect(Set(versions.compactMap { $0["office"] as? String }) == ["Kuckuck", "Altstadt"])
        #expect(try cli.status()["openConflicts"] as? Int == 1)
        #expect(
            try altstadt.conflicts().map(\.id) == [conflict["id"] as? String], "the same conflict id on both offices")
        #expect(
            try altstadt.record(.contacts, id: id)["role"] == (conflict["shown"] as? String),
            "the same provisional value")
    }
}
