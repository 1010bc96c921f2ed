import Foundation
import GRDB
import SyncCore
import SyncKernel
import TestSupport
import Testing

/// The client distrusts the server too (issue #25): a state the server should have refused —
/// a broken or hostile server, or a store from before a rule — is skipped alone when pulled,
/// named in `syncctl sync`'s output, and the office goes on syncing.
@Suite("A server sending broken states", .serialized)
struct HostileServerTests {
    let workspace = TemporaryDirectory("quartiersync-hostile")

    @Test("pulled states that break a rule are skipped and named; the rest of the page is applied; the office syncs on")
    func brokenPulledStatesAreSkipped() throws {
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let writer = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let reader = try OfficeReplica(
            "Kuckuck Zwei", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        var ids: [String] = []
        for index in 0..<3 {
            let added = try writer.syncctl([
                "contact", "add", "--name", "Kontakt \(index)", "--quartier", "kuckuck", "--json",
            ])
            ids.append(try #require(try added.object()["id"] as? String))
        }
        _ = try writer.sync()

        // The server's store, changed behind its back: a version counter past every bound on
        // one record, a time 400 days ahead on another.
        server.stop()
        let store = try DatabaseQueue(path: server.database)
        try store.write { db in
            for (index, id) in ids.prefix(2).enumerated() {
                let bytes = try #require(
                    try Data.fetchOne(db, sql: "SELECT state FROM _sync_records WHERE id = ?", arguments: [id]))
                var state = try RecordState(encoded: [UInt8](bytes))
                if index == 0 {
                    state.context.add(
                        Dot(replica: ReplicaID(rawValue: UUID().uuidString.lowercased()), counter: 1 << 63))
                } else {
                    let later = Int64(Date().timeIntervalSince1970 * 1000) + 400 * 86_400_000
                    state.alive = state.alive.map {
                        Sibling(value: $0.value, dot: $0.dot, time: HybridTimestamp(milliseconds: later))
                    }
                }
                try db.execute(
                    sql: "UPDATE _sync_records SET state = ? WHERE id = ?", arguments: [Data(state.encoded()), id])
            }
        }
        try store.close()
        try server.restart()

        let synced = try reader.syncctl(["sync", "--json"])
        #expect(synced.status == 0, "\(synced.error)")
        let report = try synced.object()
        let skipped = try #require(report["skipped"] as? [[String: Any]])
        #expect(Set(skipped.compactMap { $0["id"] as? String }) == Set(ids.prefix(2)))
        #expect(skipped.allSatisfy { ($0["message"] as? String)?.contains("tell the server admin") == true })
        #expect(try reader.contacts().map(\.id) == [ids[2]], "the page's other state is applied")

        // In words, and the office is not stuck: its own edit syncs.
        try reader.syncctl(["contact", "add", "--name", "Neu", "--quartier", "kuckuck"])
        let again = try reader.syncctl(["sync"])
        #expect(again.status == 0, "\(again.error)")
        #expect(try reader.status()["pendingChanges"] as? Int == 0)
        let fresh = try OfficeReplica("Kuckuck Drei", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let text = try fresh.syncctl(["sync"])
        #expect(text.status == 0, "\(text.error)")
        #expect(text.error.contains("The server sent 2 records that break a rule"), "\(text.error)")
        #expect(text.error.contains("tell the server admin"), "\(text.error)")
    }
}
