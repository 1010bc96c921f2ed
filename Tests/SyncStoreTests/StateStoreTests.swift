import Foundation
import GRDB
import SyncKernel
import TestSupport
import Testing

@testable import SyncStore

/// The state store on its own: its file, its schema and its connections.
@Suite("State store")
struct StateStoreTests {
    @Test("a store file holds the state tables only: no data table, no capture trigger, and it is its owner's alone")
    func schemaOfItsOwn() throws {
        let directory = TemporaryDirectory("quartiersync-store")
        let path = directory.path + "/store.sqlite"
        let store = try StateStore.create(at: path, name: "sync-server")
        let objects = try store.reader.read { db in
            try String.fetchAll(
                db, sql: "SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY 1")
        }
        for table in SyncTable.allCases { #expect(!objects.contains("table \(table.rawValue)"), "\(objects)") }
        #expect(objects.filter { $0.hasPrefix("trigger") } == ["trigger _sync_records_route"])
        #expect(objects.contains("table _sync_records") && objects.contains("table _sync_knowledge"))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try StateStore.open(at: path).id == store.id, "the store keeps its identity")
        #expect(throws: SyncError.self) { try StateStore.create(at: path, name: "sync-server") }
    }

    @Test("readers keep the page cache they are given; the writer keeps its own")
    func readerCache() throws {
        let directory = TemporaryDirectory("quartiersync-store")
        let path = directory.path + "/store.sqlite"
        _ = try StateStore.create(at: path, name: "sync-server")
        let pool = try StateStore.openPool(path, maximumReaders: 2, readerCacheKiB: 2048)
        #expect(try pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -2048)
        #expect(try pool.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -16384)
    }
}
