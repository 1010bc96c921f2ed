import Foundation
import GRDB
import SyncCore
import SyncKernel
import SyncStore
import TestSupport
import Testing

@testable import SyncStore

/// The changes feed a store serves: decoded for merging, or as stored bytes for the wire.
@Suite("Changes feed")
struct FeedTests {
    @Test("a page stops at its byte budget, whatever the limit asked; the pages after it carry the rest")
    func pagesStopAtByteBudget() async throws {
        let store = try StateStore.inMemory(name: "sync-server")
        let office = try Replica.inMemory(office: "Kuckuck")
        let notes = String(repeating: "Sprechstunde im Stadtteiltreff. ", count: 300)  // 9,600 characters
        try office.insert(
            .contacts,
            contentsOf: try (0..<1200).map {
                try RecordValues(.contacts, ["name": "Person \($0)", "quartier": "kuckuck", "notes": notes])
            })
        try await Self.pushAll(from: office, to: store, pages: 500)
        var cursor: Int64 = 0
        var counts: [Int] = []
        var ids = Set<String>()
        while true {
            let page = try await store.encodedChanges(since: cursor, limit: 5000, quartiers: ["kuckuck"])
            #expect(page.bytes.count < Feed.maxPageBytes + 64 << 10, "a page of \(page.bytes.count) bytes")
            let decoded = try ChangeBatch(encoded: page.bytes)
            ids.formUnion(decoded.records.map(\.id))
            counts.append(page.count)
            cursor = page.cursor
            if !page.hasMore { break }
        }
        #expect(counts.count >= 2, "one page of \(counts) for 11 MB of states")
        #expect(ids.count == 1200, "every record in exactly the pages after each other")
    }

    @Test("the wire form of a feed page decodes to the same page, for every Quartier filter")
    func encodedPagesMatch() async throws {
        let office = try Replica.inMemory(office: "Kuckuck")
        let store = try StateStore.inMemory(name: "sync-server")
        let quartiere = ["kuckuck", "altstadt", "*"]
        try office.insert(
            .contacts,
            contentsOf: try (0..<50).map {
                try RecordValues(.contacts, ["name": "Person \($0)", "quartier": quartiere[$0 % 3], "phone": "\($0)"])
            })
        try await Self.pushAll(from: office, to: store, pages: 20)
        for filter in [nil, ["kuckuck"], ["altstadt", "nordstadt"]] as [[String]?] {
            var cursor: Int64 = 0
            var pages = 0
            while true {
                let page = try await store.changes(since: cursor, limit: 7, quartiers: filter)
                let wire = try await store.encodedChanges(since: cursor, limit: 7, quartiers: filter)
                let decoded = try ChangeBatch(encoded: wire.bytes)
                #expect(decoded.records == page.records)
                #expect(decoded.cursor == page.cursor && decoded.hasMore == page.hasMore)
                #expect(wire.count == page.records.count)
                #expect(decoded.offices[office.id] == "Kuckuck", "the page names the office that wrote it")
                cursor = page.cursor
                pages += 1
                if !page.hasMore { break }
            }
            #expect(pages > 1)
        }
    }

    @Test("id lists reach SQLite intact, whatever the text holds")
    func jsonArrays() throws {
        let strings = ["plain", "with \"quotes\"", "back\\slash", "tab\tand\nnewline\u{01}", "Göttinger Straße ✓", ""]
        let queue = try DatabaseQueue()
        let values = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT value FROM json_each(?)", arguments: [StateTable.jsonArray(strings)])
        }
        #expect(values == strings)
    }

    /// Pushes every pending change of `office` to `store`, `pages` states at a time.
    static func pushAll(from office: Replica, to store: StateStore, pages: Int) async throws {
        var pushed: ChangeBatch
        repeat {
            pushed = try office.outgoing(limit: pages)
            try await store.apply(pushed, from: .downstream(acknowledging: nil))
            try office.acknowledge(upTo: pushed.cursor)
        } while pushed.hasMore
    }
}
