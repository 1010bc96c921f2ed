import GRDB
import SyncCore
import SyncKernel
import SyncServer
import Testing

/// Which office wrote a value is what a conflict shows and what `--take OFFICE` picks: it comes
/// from the server's registry (the office whose token a replica syncs with), never from the
/// name a replica was set up with or a batch lists (issue #25, item 7).
@Suite("Office identity")
struct OfficeIdentityTests {
    @Test("a replica set up with another office's name shows under its own office's name in a conflict")
    func namesFromTheRegistry() async throws {
        let network = try InProcessNetwork()
        let kuckuck = try network.office("Kuckuck")
        // Nordstadt's laptop, set up (by mistake, or to deceive) as "Kuckuck".
        let impostor = try Replica.inMemory(office: "Kuckuck")
        let (nordstadt, _) = try await network.store.addOffice(name: "Nordstadt", quartiers: ["kuckuck"])
        let upstream = InProcessUpstream(store: network.store, office: nordstadt)
        let id = try kuckuck.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"]).id!
        try await network.sync(kuckuck, ["kuckuck"])
        _ = try await network.synchronizer.sync(impostor, with: upstream)
        try kuckuck.update(.contacts, id: id, changes: ["phone": "05151 1"])
        try impostor.update(.contacts, id: id, changes: ["phone": "05151 2"])
        _ = try await network.synchronizer.sync(impostor, with: upstream)
        try await network.sync(kuckuck, ["kuckuck"])
        let conflict = try #require(try kuckuck.conflicts().first { $0.field == "phone" })
        let byValue = Dictionary(uniqueKeysWithValues: conflict.versions.map { ($0.value, $0.office) })
        #expect(byValue["05151 1"] == "Kuckuck")
        #expect(byValue["05151 2"] == "Nordstadt")
    }

    @Test("a push that names another office's replica as its own changes no name")
    func batchNamesIgnored() async throws {
        let network = try InProcessNetwork()
        let kuckuck = try network.office("Kuckuck")
        let nordstadt = try network.office("Nordstadt")
        _ = try kuckuck.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"])
        try await network.sync(kuckuck, ["kuckuck"])
        try await network.sync(nordstadt, ["nordstadt"])
        _ = try nordstadt.insert(.contacts, values: ["name": "Max Muster", "quartier": "nordstadt"])
        var batch = try nordstadt.outgoing()
        batch.offices = [kuckuck.id: "Nordstadt", nordstadt.id: "Kuckuck"]
        let upstream = try await network.upstream(for: nordstadt, ["nordstadt"])
        let receipt = try await upstream.push(batch, key: "forged-names", replica: nordstadt.id)
        #expect(receipt.stored == 1)
        let names = try await network.server.database.read { db in
            try Dictionary(
                uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT replica_id, office FROM _sync_replicas").map {
                    ($0[0] as String, $0[1] as String)
                })
        }
        #expect(names[kuckuck.id.rawValue] == "Kuckuck")
        #expect(names[nordstadt.id.rawValue] == "Nordstadt")
    }
}
