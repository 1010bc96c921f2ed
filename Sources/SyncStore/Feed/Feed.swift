import Foundation
import GRDB
import SyncKernel

/// The changes feed of a store: record states in the order this store last changed them
/// (`_sync_records.seq`), filtered by the reader's Quartiere.
///
/// A record appears once, at its latest change, so a reader that starts from 0 gets the whole
/// store and one that keeps its cursor gets only what changed. With Quartiere, a page holds the
/// records routed there and shared records (`*`), deletes included; a record that was routed
/// there before and has moved on comes as an ``Eviction`` without values. The cursor still
/// moves past the others.
package struct Feed {
    /// One page of stored states, as stored.
    package struct Page {
        /// States in the reader's scope.
        var states: [[UInt8]]
        /// States of records that left the reader's scope.
        var leaving: [[UInt8]]
        /// Where the next page starts.
        var cursor: Int64
        var hasMore: Bool
    }

    package let db: Database

    package init(db: Database) {
        self.db = db
    }

    /// The page after `cursor`, at most `limit` states, decoded.
    package func changes(since cursor: Int64, limit: Int, quartiers: [String]?) throws -> ChangeBatch {
        let page = try self.page(since: cursor, limit: limit, quartiers: quartiers)
        let records = try page.states.map { try StateTable.decode(bytes: $0) }
        var batch = ChangeBatch(
            records: records, offices: try OfficeDirectory(db: db).offices(for: records), cursor: page.cursor,
            hasMore: page.hasMore, evictions: try page.leaving.map(Self.eviction))
        // The stored bytes travel on as they are: sending the page re-encodes nothing.
        batch.encodedRecords = page.states.map { $0[...] }
        return batch
    }

    /// The same page in its wire form, without decoding a single state.
    package func encodedChanges(since cursor: Int64, limit: Int, quartiers: [String]?) throws -> EncodedBatch {
        let page = try self.page(since: cursor, limit: limit, quartiers: quartiers)
        let evictions = try page.leaving.map(Self.eviction)
        var replicas = Set<ReplicaID>()
        for state in page.states {
            do {
                try RecordState.replicaIDs(inEncoded: state, into: &replicas)
            } catch {
                throw SyncError(
                    .corruptData, "a stored record state cannot be decoded: restore the store from a backup",
                    cause: error)
            }
        }
        let bytes = ChangeBatch.encode(
            cursor: page.cursor, hasMore: page.hasMore, offices: try OfficeDirectory(db: db).offices(of: replicas),
            records: page.states.map { $0[...] }, evictions: evictions)
        return EncodedBatch(bytes: bytes, count: page.states.count, cursor: page.cursor, hasMore: page.hasMore)
    }

    /// The most state bytes one page carries (at least one state, however big): a page of
    /// 5,000 states with long notes would otherwise hold hundreds of megabytes in memory, once
    /// per request running.
    package static let maxPageBytes = 8 << 20

    /// The stored states of one page — those in the reader's scope, and those that left it: at
    /// most `limit` states and, past the first, ``maxPageBytes`` bytes of them.
    package func page(since cursor: Int64, limit: Int, quartiers: [String]?) throws -> Page {
        let statement: Statement
        let arguments: StatementArguments
        if let quartiers {
            // A record is in the page when it is routed to the reader's scope now, or was before
            // (then the reader is told it left). Former routes are only looked up for records
            // that ever moved.
            statement = try db.cachedStatement(
                sql: """
                    SELECT seq, state, quartier FROM _sync_records r
                    WHERE seq > ?1 AND (quartier = '*' OR quartier IN (SELECT value FROM json_each(?2))
                        OR (moved AND EXISTS (
                            SELECT 1 FROM _sync_routes h WHERE h.tbl = r.tbl AND h.id = r.id
                            AND (h.quartier = '*' OR h.quartier IN (SELECT value FROM json_each(?2))))))
                    ORDER BY seq LIMIT ?3
                    """)
            arguments = [cursor, StateTable.jsonArray(quartiers), limit + 1]
        } else {
            statement = try db.cachedStatement(
                sql: "SELECT seq, state, quartier FROM _sync_records WHERE seq > ? ORDER BY seq LIMIT ?")
            arguments = [cursor, limit + 1]
        }
        var page = Page(states: [], leaving: [], cursor: cursor, hasMore: false)
        page.states.reserveCapacity(min(limit, 1024))
        var taken = 0
        var bytesTaken = 0
        // Row by row from SQLite (columns by position: seq, state, quartier), each state copied
        // once, straight into the page.
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            if taken == limit || (taken > 0 && bytesTaken >= Self.maxPageBytes) {
                page.hasMore = true
                break
            }
            let bytes = try row.withUnsafeData(atIndex: 1) { data in data.map { [UInt8]($0) } } ?? []
            if let quartiers, !Quartier.scope(quartiers, covers: row[2]) {
                page.leaving.append(bytes)
            } else {
                page.states.append(bytes)
            }
            page.cursor = row[0]
            taken += 1
            bytesTaken += bytes.count
        }
        if !page.hasMore {
            // The last page: skip the records this reader may not see, so that the next pull
            // does not scan them again.
            page.cursor = max(page.cursor, try head() ?? cursor)
        }
        return page
    }

    /// The feed position of the store's latest stored change; nil when it holds none.
    package func head() throws -> Int64? {
        try db.value(Int64.self, sql: "SELECT max(seq) FROM _sync_records")
    }

    /// The eviction of a stored state: its key and context, none of its values.
    private static func eviction(_ bytes: [UInt8]) throws -> Eviction {
        let state = try StateTable.decode(bytes: bytes)
        return Eviction(key: state.key, context: state.context)
    }
}
