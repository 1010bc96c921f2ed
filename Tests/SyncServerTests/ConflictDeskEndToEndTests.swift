import Foundation
import SyncCore
import SyncKernel
import TestSupport
import Testing

/// The conflict desk as an admin uses it: real `sync-server`, three offices on replica files,
/// every step through `syncctl`.
@Suite("Conflict desk end to end", .serialized)
struct ConflictDeskEndToEndTests {
    /// Three offices of Kuckuck that have all seen one contact.
    struct Offices {
        let workspace = TemporaryDirectory("quartiersync-desk")
        let server: SyncServerProcess
        let offices: [OfficeReplica]
        let contact: String

        init(store: StoreKind) throws {
            let server = try SyncServerProcess.start(in: workspace, store: store)
            let directory = workspace.path
            self.server = server
            offices = try ["Kuckuck", "Mobil", "Beratung"].map {
                try OfficeReplica($0, directory: directory, server: server, quartiers: ["kuckuck"])
            }
            let added = try offices[0].syncctl([
                "contact", "add", "--name", "Mara Beispiel", "--quartier", "kuckuck", "--phone", "05151 000001",
                "--json",
            ])
            contact = try #require(try added.object()["id"] as? String)
            try round()
        }

        func round() throws { for office in offices + offices { _ = try office.sync() } }

        /// Kuckuck and Mobil change the phone offline; everybody syncs; the id of the conflict.
        func conflict() throws -> [String: Any] {
            try offices[0].syncctl(["contact", "edit", contact, "--phone", "05151 000002"])
            try offices[1].syncctl(["contact", "edit", contact, "--phone", "05151 000003"])
            try round()
            let list = try #require(try offices[2].syncctl(["conflicts", "list", "--json"]).json() as? [[String: Any]])
            try #require(list.count == 1)
            return list[0]
        }

        func stop() { server.stop() }
    }

    @Test(
        "an office that only watched settles a conflict; all converge, none open, the trail on every office",
        arguments: StoreKind.all)
    func watcherSettles(store: StoreKind) throws {
        let network = try Offices(store: store)
        defer { network.stop() }
        let listed = try network.conflict()
        let id = try #require(listed["id"] as? String)
        #expect(listed["kind"] as? String == "field")
        #expect(listed["field"] as? String == "phone")
        #expect(Set(listed["offices"] as? [String] ?? []) == ["Kuckuck", "Mobil"])
        #expect(listed["since"] as? String != nil)

        // The three-way view after a real concurrent edit through the server.
        let show = try network.offices[2].syncctl(["conflicts", "show", id, "--json"])
        #expect(show.status == 0, "\(show.error)")
        let view = try show.object()
        #expect(view["ancestor"] as? String == "05151 000001")
        #expect(view["ancestorKnown"] as? Bool == true)
        let versions = try #require(view["versions"] as? [[String: Any]])
        #expect(Set(versions.compactMap { $0["value"] as? String }) == ["05151 000002", "05151 000003"])
        let text = try network.offices[2].syncctl(["conflicts", "show", id])
        #expect(text.output.contains("ancestor  '05151 000001'"))

        let settled = try network.offices[2].syncctl([
            "conflicts", "resolve", id, "--take", "Kuckuck", "--reason", "Rückruf bestätigt", "--json",
        ])
        #expect(settled.status == 0, "\(settled.error)")
        try network.round()
        for office in network.offices {
            #expect(try office.syncctl(["conflicts", "list", "--json"]).json() as? [Any] != nil)
            #expect((try office.syncctl(["conflicts", "list", "--json"]).json() as? [Any])?.isEmpty == true)
            #expect(try office.replica().record(.contacts, id: network.contact)["phone"] == "05151 000002")
            let history = try #require(
                try office.syncctl(["conflicts", "history", "--json"]).json() as? [[String: Any]])
            #expect(history.count == 1)
            #expect(history.first?["conflictId"] as? String == id)
            #expect(history.first?["office"] as? String == "Beratung")
            #expect(history.first?["decision"] as? String == "take-office")
            #expect(history.first?["chosenOffice"] as? String == "Kuckuck")
            #expect(history.first?["reason"] as? String == "Rückruf bestätigt")
        }
    }

    @Test("--take-shown and an edit with the shown value both close the conflict everywhere", arguments: StoreKind.all)
    func keepingTheShownValue(store: StoreKind) throws {
        for viaEdit in [false, true] {
            let network = try Offices(store: store)
            defer { network.stop() }
            let listed = try network.conflict()
            let id = try #require(listed["id"] as? String)
            let shown = try #require(listed["shown"] as? String)
            let result =
                viaEdit
                ? try network.offices[2].syncctl(["contact", "edit", network.contact, "--phone", shown])
                : try network.offices[2].syncctl(["conflicts", "resolve", id, "--take-shown", "--reason", "stimmt so"])
            #expect(result.status == 0, "\(result.error)")
            try network.round()
            for office in network.offices {
                #expect(try office.status()["openConflicts"] as? Int == 0)
                #expect(try office.replica().record(.contacts, id: network.contact)["phone"] == shown)
                #expect(try office.replica().resolutions().map(\.decision) == [viaEdit ? "edit" : "take-shown"])
            }
        }
    }

    @Test("a delete against an edit, settled with --keep or --delete", arguments: StoreKind.all)
    func deleteVersusEdit(store: StoreKind) throws {
        for keep in [true, false] {
            let network = try Offices(store: store)
            defer { network.stop() }
            try network.offices[0].syncctl(["contact", "delete", network.contact])
            try network.offices[1].syncctl(["contact", "edit", network.contact, "--notes", "kommt zum Sommerfest"])
            try network.round()
            let list = try #require(
                try network.offices[2].syncctl(["conflicts", "list", "--json"]).json() as? [[String: Any]])
            let id = try #require(list.first?["id"] as? String)
            #expect(list.first?["kind"] as? String == "delete-versus-edit")
            let wrong = try network.offices[2].syncctl(["conflicts", "resolve", id, "--take-shown", "--reason", "x"])
            #expect(wrong.status == 65)
            #expect(wrong.error.contains("--keep"))
            let result = try network.offices[2].syncctl([
                "conflicts", "resolve", id, keep ? "--keep" : "--delete", "--reason", "mit der Bewohnerin gesprochen",
            ])
            #expect(result.status == 0, "\(result.error)")
            try network.round()
            for office in network.offices {
                #expect(try office.status()["openConflicts"] as? Int == 0)
                #expect(try office.contacts().count == (keep ? 1 : 0))
            }
        }
    }

    /// Issue #24's scenario: Kuckuck sets the phone and syncs; Mobil, which had not seen that,
    /// sets another phone and then deletes the contact, offline; Beratung, which saw Kuckuck's
    /// phone, edits the organisation. The contact lives on, the phone conflict is listed, and
    /// every office shows the phone Kuckuck and Beratung still hold — not an empty field.
    @Test(
        "a value its writer deleted afterwards never shows as empty where another office still holds one",
        arguments: StoreKind.all)
    func erasedSideNeverHidesHeldValue(store: StoreKind) throws {
        let network = try Offices(store: store)
        defer { network.stop() }
        let (kuckuck, mobil, beratung) = (network.offices[0], network.offices[1], network.offices[2])
        try kuckuck.syncctl(["contact", "edit", network.contact, "--phone", "05151 000008"])
        _ = try kuckuck.sync()
        _ = try beratung.sync()
        try mobil.syncctl(["contact", "edit", network.contact, "--phone", "05151 000012"])
        let deleted = try mobil.syncctl(["contact", "delete", network.contact])
        #expect(deleted.status == 0, "\(deleted.error)")
        try beratung.syncctl(["contact", "edit", network.contact, "--organisation", "Stadtteiltreff Kuckuck"])
        try network.round()

        for office in network.offices {
            let row = try office.replica().record(.contacts, id: network.contact)
            #expect(row["phone"] == "05151 000008", "\(office.name) shows no phone")
            #expect(row["organisation"] == "Stadtteiltreff Kuckuck")
            let list = try #require(try office.syncctl(["conflicts", "list", "--json"]).json() as? [[String: Any]])
            let phone = try #require(list.first { $0["field"] as? String == "phone" }, "\(office.name): \(list)")
            #expect(Set(phone["offices"] as? [String] ?? []) == ["Kuckuck", "Mobil"])
            #expect(phone["shown"] as? String == "05151 000008")
            let versions = try #require(phone["versions"] as? [[String: Any]])
            let erased = versions.filter { $0["erased"] as? Bool == true }
            #expect(erased.map { $0["office"] as? String } == ["Mobil"])
            #expect(erased.first?["value"] is NSNull, "the deleted value is gone, not shown")
        }
        let list = try #require(try beratung.syncctl(["conflicts", "list", "--json"]).json() as? [[String: Any]])
        let id = try #require(list.first { $0["field"] as? String == "phone" }?["id"] as? String)
        let shown = try beratung.syncctl(["conflicts", "show", id])
        #expect(shown.output.contains("shown now  '05151 000008'  by Kuckuck"), "\(shown.output)")
        #expect(shown.output.contains("competing  (deleted at Mobil, "), "\(shown.output)")
        #expect(!shown.output.contains("05151 000012"), "a deleted value appears nowhere")

        // Taking the side of the office that deleted means: leave the field empty.
        let settled = try beratung.syncctl([
            "conflicts", "resolve", id, "--take", "Mobil", "--reason", "Nummer nicht mehr gültig",
        ])
        #expect(settled.status == 0, "\(settled.error)")
        try network.round()
        for office in network.offices {
            #expect(try office.replica().record(.contacts, id: network.contact)["phone"] == nil)
            let left = try #require(try office.syncctl(["conflicts", "list", "--json"]).json() as? [[String: Any]])
            #expect(!left.contains { $0["field"] as? String == "phone" })
        }
    }
}
