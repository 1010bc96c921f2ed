import Foundation
import GRDB
import SyncKernel
import SyncRemote
import SyncServer
import TestSupport
import Testing

@testable import SyncCore

/// Routing through the Quartier-filtered feed, store by store: deletes reach every office of
/// the Quartier, moves evict, and nothing an office knows is lost on the way.
@Suite("Routing")
struct RoutingTests {
    func stored(_ replica: Replica, _ id: String) throws -> Int {
        try replica.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM _sync_records WHERE id = ?", arguments: [id]) ?? 0
        }
    }

    func logEntries(_ replica: Replica, _ id: String) throws -> Int {
        try replica.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM _sync_log WHERE row_id = ?", arguments: [id]) ?? 0
        }
    }

    @Test("a delete reaches the other office of the Quartier through the filtered feed, without values")
    func deleteReachesTheQuartier() async throws {
        let network = try InProcessNetwork()
        let first = try network.office("Kuckuck 1")
        let second = try network.office("Kuckuck 2")
        let id = try first.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"]).id!
        try await network.sync(first, ["kuckuck"])
        try await network.sync(second, ["kuckuck"])
        #expect(try second.records(.contacts).count == 1)
        try first.delete(.contacts, id: id)
        try await network.sync(first, ["kuckuck"])
        try await network.sync(second, ["kuckuck"])
        #expect(try second.records(.contacts).isEmpty)
        let tombstone = try #require(try second.state(of: RecordKey(.contacts, id)))
        #expect(!tombstone.isVisible && tombstone.route == "kuckuck")
        #expect(tombstone.visibleRecord["name"] == nil, "the tombstone holds no name")
    }

    @Test("a shared record deleted by the state-wide office disappears at every office")
    func sharedDelete() async throws {
        let network = try InProcessNetwork()
        let lag = try network.office("LAG")
        let kuckuck = try network.office("Kuckuck")
        let altstadt = try network.office("Altstadt")
        let id = try lag.insert(.contacts, values: ["name": "Netzwerk Kontakt", "quartier": "*"]).id!
        for (office, scope) in [(lag, ["*"]), (kuckuck, ["kuckuck"]), (altstadt, ["altstadt"])] {
            try await network.sync(office, scope)
        }
        #expect(try kuckuck.records(.contacts).count == 1 && altstadt.records(.contacts).count == 1)
        try lag.delete(.contacts, id: id)
        for (office, scope) in [(lag, ["*"]), (kuckuck, ["kuckuck"]), (altstadt, ["altstadt"])] {
            try await network.sync(office, scope)
        }
        #expect(try kuckuck.records(.contacts).isEmpty && altstadt.records(.contacts).isEmpty)
    }

    @Test("a move evicts the record at the old Quartier's offices and delivers it whole to the new one's")
    func moveEvictsAndDelivers() async throws {
        let network = try InProcessNetwork()
        let kuckuck = try network.office("Kuckuck 1")
        let watcher = try network.office("Kuckuck 2")
        let altstadt = try network.office("Altstadt")
        let id = try kuckuck.insert(
            .contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck", "phone": "05151 1"]
        ).id!
        try await network.sync(kuckuck, ["kuckuck"])
        try await network.sync(watcher, ["kuckuck"])
        try await network.sync(altstadt, ["altstadt"])
        #expect(try altstadt.records(.contacts).isEmpty)

        try kuckuck.update(.contacts, id: id, changes: ["quartier": "altstadt"])
        let moved = try await network.sync(kuckuck, ["kuckuck"])
        #expect(moved.evicted == 0, "the office that moved it keeps it until an office of Altstadt holds it")
        #expect(try kuckuck.status().handingOver == 1 && kuckuck.status().unservedQuartiere.isEmpty)
        let seen = try await network.sync(watcher, ["kuckuck"])
        #expect(seen.evicted == 1, "the other office lets it go at once: the mover holds it")
        try await network.sync(altstadt, ["altstadt"])
        try await network.sync(altstadt, ["altstadt"])  // its next pull says it holds the record
        let handedOver = try await network.sync(kuckuck, ["kuckuck"])
        #expect(handedOver.evicted == 1)
        for office in [kuckuck, watcher] {
            #expect(try office.records(.contacts).isEmpty, "\(office.office) still shows a record of Altstadt")
            #expect(try stored(office, id) == 0, "\(office.office) still stores its state")
            #expect(try logEntries(office, id) == 0, "\(office.office) still logs it")
            #expect(try office.status().pendingChanges == 0, "leaving is not pushed back as a delete")
        }
        let arrived = try altstadt.record(.contacts, id: id)
        #expect(arrived["phone"] == "05151 1" && arrived["quartier"] == "altstadt")
        #expect(try network.server.state(of: RecordKey(.contacts, id))?.isVisible == true, "it lives on")

        // Moved back, it returns.
        try altstadt.update(.contacts, id: id, changes: ["quartier": "kuckuck"])
        try await network.sync(altstadt, ["altstadt"])
        try await network.sync(watcher, ["kuckuck"])
        try await network.sync(watcher, ["kuckuck"])
        try await network.sync(altstadt, ["altstadt"])
        #expect(try altstadt.records(.contacts).isEmpty)
        #expect(try watcher.record(.contacts, id: id)["phone"] == "05151 1")

        // And away again: a route the record had before is known already.
        try watcher.update(.contacts, id: id, changes: ["quartier": "altstadt"])
        try await network.sync(watcher, ["kuckuck"])
        try await network.sync(altstadt, ["altstadt"])
        try await network.sync(altstadt, ["altstadt"])
        try await network.sync(watcher, ["kuckuck"])
        #expect(try watcher.records(.contacts).isEmpty)
        #expect(try altstadt.record(.contacts, id: id)["quartier"] == "altstadt")
    }

    @Test("a record moved away leaves on the next sync when the last one stopped between its push and its evictions")
    func moveLeavesAfterAnInterruptedSync() async throws {
        let network = try InProcessNetwork()
        let kuckuck = try network.office("Kuckuck")
        let id = try kuckuck.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"]).id!
        try await network.sync(kuckuck, ["kuckuck"])
        _ = try kuckuck.update(.contacts, id: id, changes: ["quartier": "altstadt"])
        // The push is stored and acknowledged, then the sync stops (killed, cable pulled).
        let page = try kuckuck.outgoing()
        try await network.server.apply(page, from: .downstream(acknowledging: nil))
        try kuckuck.acknowledge(upTo: page.cursor)
        #expect(try kuckuck.pendingChanges() == 0)
        #expect(try stored(kuckuck, id) == 1)
        // Altstadt's office takes it; then the next sync of Kuckuck lets it go.
        let altstadt = try network.office("Altstadt")
        try await network.sync(altstadt, ["altstadt"])
        try await network.sync(altstadt, ["altstadt"])
        #expect(try altstadt.records(.contacts).count == 1)
        let summary = try await network.sync(kuckuck, ["kuckuck"])
        #expect(summary.evicted == 1)
        #expect(try stored(kuckuck, id) == 0 && kuckuck.records(.contacts).isEmpty)
    }

    @Test(
        "a record moved away stays until an office of its new Quartier holds it, so a restore of the server loses nothing"
    )
    func handOverSurvivesARestore() async throws {
        let directory = TemporaryDirectory("quartiersync-handover")
        let network = try InProcessNetwork(path: directory.path + "/server.sqlite")
        let kuckuck = try network.office("Kuckuck")
        let altstadt = try network.office("Altstadt")
        let id = try kuckuck.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"]).id!
        try await network.sync(kuckuck, ["kuckuck"])
        try await network.sync(altstadt, ["altstadt"])
        // The server's backup is taken now, before the move.
        let backupPath = directory.path + "/backup.sqlite"
        _ = try network.store.backup(to: backupPath)
        try kuckuck.update(.contacts, id: id, changes: ["quartier": "altstadt", "phone": "05151 2"])
        for _ in 0..<3 { try await network.sync(kuckuck, ["kuckuck"]) }
        #expect(try kuckuck.records(.contacts).count == 1, "nobody in Altstadt holds it yet: it stays")
        // The server is restored from the backup: it lost the move. Kuckuck still holds it and
        // sends it again; Altstadt receives it.
        let restored = try InProcessNetwork(path: backupPath)
        try await restored.sync(kuckuck, ["kuckuck"])
        for _ in 0..<2 { try await restored.sync(altstadt, ["altstadt"]) }
        let arrived = try altstadt.record(.contacts, id: id)
        #expect(arrived["quartier"] == "altstadt" && arrived["phone"] == "05151 2")
        try await restored.sync(kuckuck, ["kuckuck"])
        #expect(try kuckuck.records(.contacts).isEmpty, "handed over: Altstadt holds it")
    }

    @Test(
        "an edit made at the old Quartier while the record moved merges into the moved record; its office keeps it until the new Quartier holds it, so a restore before then loses nothing"
    )
    func editConcurrentWithMove() async throws {
        let directory = TemporaryDirectory("quartiersync-concurrent-move")
        let network = try InProcessNetwork(path: directory.path + "/server.sqlite")
        let mover = try network.office("Kuckuck 1")
        let editor = try network.office("Kuckuck 2")
        let altstadt = try network.office("Altstadt")
        let id = try mover.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"]).id!
        try await network.sync(mover, ["kuckuck"])
        try await network.sync(editor, ["kuckuck"])
        try await network.sync(altstadt, ["altstadt"])
        try mover.update(.contacts, id: id, changes: ["quartier": "altstadt"])
        try await network.sync(mover, ["kuckuck"])
        // The server's backup is taken now: it has the move, not the edit below.
        let backupPath = directory.path + "/backup.sqlite"
        _ = try network.store.backup(to: backupPath)
        // The editor has not heard of the move; its edit is pending while the eviction arrives.
        try editor.update(.contacts, id: id, changes: ["notes": "Sommerfest"])
        // The eviction comes before the edit was pushed: the editor keeps the record, pushes it
        // back, and the server merges the edit into the moved record.
        let page = try await network.server.changes(since: 0, quartiers: ["kuckuck"])
        #expect(page.evictions.map(\.key) == [RecordKey(.contacts, id)])
        let applied = try await editor.apply(page, from: .upstream(peer: network.server.id.rawValue))
        #expect(applied.evicted == 0 && applied.pushedBack == 1)
        for _ in 0..<2 { try await network.sync(editor, ["kuckuck"]) }
        // Nobody in Altstadt holds the edit yet: the editor keeps the record.
        #expect(try editor.records(.contacts).count == 1)
        #expect(try editor.status().handingOver == 1 && editor.status().unservedQuartiere.isEmpty)
        // The server is restored from the backup: it lost the edit. The editor sends it again.
        let restored = try InProcessNetwork(path: backupPath)
        try await restored.sync(editor, ["kuckuck"])
        for _ in 0..<2 { try await restored.sync(altstadt, ["altstadt"]) }
        let merged = try altstadt.record(.contacts, id: id)
        #expect(merged["notes"] == "Sommerfest" && merged["quartier"] == "altstadt")
        // Every Quartier's office holds it once each has pulled past the eviction (an office's
        // hold is where its latest pull started): the editor lets it go.
        for _ in 0..<2 { try await restored.sync(mover, ["kuckuck"]) }
        try await restored.sync(editor, ["kuckuck"])
        #expect(try editor.records(.contacts).isEmpty)
        #expect(try stored(editor, id) == 0)
        #expect(try editor.status().handingOver == 0)
    }

    @Test(
        "after a restore from a backup, an office's edit the restore lost comes back from the office that pulled it, though its writer let the record go; a copy not made by backup refuses it",
        arguments: [true, false])
    func lostEditRelayedAfterRestore(markedBackup: Bool) async throws {
        let directory = TemporaryDirectory("quartiersync-relay")
        let network = try InProcessNetwork(path: directory.path + "/server.sqlite")
        let writer = try network.office("Kuckuck 1")
        let keeper = try network.office("Kuckuck 2")
        let id = try writer.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"]).id!
        try await network.sync(writer, ["kuckuck"])
        try await network.sync(keeper, ["kuckuck"])
        let backupPath = directory.path + "/backup.sqlite"
        if markedBackup {
            _ = try network.store.backup(to: backupPath)
        } else {
            try network.server.database.backup(to: try DatabaseQueue(path: backupPath))
        }
        // After the backup: the writer edits the contact, the keeper pulls the edit, and the
        // writer's office is given another Quartier, so the contact leaves it.
        try writer.update(.contacts, id: id, changes: ["phone": "05151 2"])
        try await network.sync(writer, ["kuckuck"])
        try await network.sync(keeper, ["kuckuck"])
        for _ in 0..<2 {
            try await network.sync(writer, ["sued"])
            try await network.sync(keeper, ["kuckuck"])
        }
        #expect(try writer.records(.contacts).isEmpty)
        // The server is restored: it lost the edit. The writer syncs first (it no longer holds
        // the contact); the keeper sends back what it pulled.
        let restored = try InProcessNetwork(path: backupPath)
        try await restored.sync(writer, ["sued"])
        let resent = try await restored.sync(keeper, ["kuckuck"])
        let atServer = try #require(try restored.server.state(of: RecordKey(.contacts, id)))
        if markedBackup {
            #expect(resent.refused.isEmpty, "\(resent.refused)")
            #expect(atServer.fields["phone"]?.first?.value == .text("05151 2"))
        } else {
            // Without the backup's mark the server cannot tell a relay from a made-up version of
            // the writer's: the keeper's copy stays refused, marked, and is sent again each sync.
            #expect(Set(resent.refused.map(\.code)) == ["foreign-version"])
            #expect(atServer.fields["phone"]?.first?.value != .text("05151 2"))
            #expect(try keeper.record(.contacts, id: id)["phone"] == "05151 2")
        }
    }

    @Test(
        "an office whose Quartiere change receives the new Quartier's records and lets go of the old ones once an office there holds them"
    )
    func scopeChange() async throws {
        let network = try InProcessNetwork()
        let kuckuck = try network.office("Kuckuck")
        let office = try network.office("Stadtteilbüro")
        try kuckuck.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"])
        // Recorded in Kuckuck, then handed to Altstadt before the first sync.
        let jonas = try kuckuck.insert(.contacts, values: ["name": "Jonas Muster", "quartier": "kuckuck"]).id!
        try kuckuck.update(.contacts, id: jonas, changes: ["quartier": "altstadt"])
        try kuckuck.insert(.contacts, values: ["name": "Netzwerk Kontakt", "quartier": "*"])
        try await network.sync(kuckuck, ["kuckuck"])
        // No office serves Altstadt yet: the contact stays where it was made, and status says why.
        #expect(try kuckuck.records(.contacts).count == 3)
        #expect(try kuckuck.status().unservedQuartiere == ["altstadt"])
        try await network.sync(office, ["kuckuck"])
        #expect(Set(try office.records(.contacts).map { $0["quartier"]! }) == ["kuckuck", "*"])
        let summary = try await network.sync(office, ["altstadt"])
        #expect(Set(try office.records(.contacts).map { $0["quartier"]! }) == ["kuckuck", "altstadt", "*"])
        #expect(summary.evicted == 0, "Kuckuck's record stays until Kuckuck's office is known to hold it")
        #expect(try office.status().handingOver == 1)
        // Each office syncs on: each learns that the other holds the record it keeps.
        for _ in 0..<2 {
            try await network.sync(kuckuck, ["kuckuck"])
            try await network.sync(office, ["altstadt"])
        }
        for (replica, scope) in [(kuckuck, ["kuckuck", "*"]), (office, ["altstadt", "*"])] {
            #expect(Set(try replica.records(.contacts).map { $0["quartier"]! }) == Set(scope))
            let quartiers = try await replica.database.read {
                try String.fetchAll($0, sql: "SELECT quartier FROM _sync_records")
            }
            #expect(Set(quartiers) == Set(scope))
            #expect(try replica.status().handingOver == 0 && replica.status().pendingChanges == 0)
        }
    }

    @Test("a revived activity whose required values no store holds stays editable and names what is missing")
    func revivedActivityIsEditable() async throws {
        let network = try InProcessNetwork()
        let first = try network.office("Kuckuck 1")
        let second = try network.office("Kuckuck 2")
        let id = try first.insert(
            .activities,
            values: [
                "title": "Stadtteilfest", "quartier": "kuckuck", "starts_at": "2025-06-02T15:00",
                "handlungsfeld": "stadtteilkultur",
            ]
        ).id!
        try await network.sync(first, ["kuckuck"])
        try await network.sync(second, ["kuckuck"])
        // First edits every field and deletes the record before syncing; second edits the
        // location meanwhile: the record comes back, and the values only first wrote are gone.
        try first.update(
            .activities, id: id,
            changes: ["title": "Sommerfest", "starts_at": "2025-06-03T15:00", "handlungsfeld": "zusammenleben"])
        try first.delete(.activities, id: id)
        try second.update(.activities, id: id, changes: ["location": "Stadtteiltreff Kuckuck"])
        for _ in 0..<2 {
            try await network.sync(first, ["kuckuck"])
            try await network.sync(second, ["kuckuck"])
        }
        let revived = try second.record(.activities, id: id)
        let missing = Replica.missingRequiredFields(in: revived)
        #expect(missing == ["title", "starts_at", "handlungsfeld"])
        let edited = try second.update(.activities, id: id, changes: ["location": "Gemeindehaus"])
        #expect(edited["location"] == "Gemeindehaus")
        // The sqlite3 shell or DB Browser can edit it too.
        try await second.database.write { db in
            try db.execute(sql: "UPDATE activities SET description = 'offen für alle' WHERE id = ?", arguments: [id])
        }
        // A value that is set must still be valid.
        #expect(throws: (any Error).self) {
            try second.database.write { db in
                try db.execute(sql: "UPDATE activities SET handlungsfeld = 'keins' WHERE id = ?", arguments: [id])
            }
        }
    }
}
