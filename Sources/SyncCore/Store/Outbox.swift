import GRDB
import SyncKernel
import SyncStore

/// The records this replica still owes its upstream: the change log after the position
/// upstream acknowledged (`_sync_state.acked_seq`).
///
/// Local edits enter the log through the capture triggers (and ``InsertCapture``); a record
/// this replica must send again without having edited it — one it knows more about than a
/// pulled batch said, or every record after the server lost data — enters as a *relay*
/// entry: a log position and no dot.
struct Outbox {
    let db: Database

    /// The log position up to which upstream acknowledged this replica's changes.
    func acknowledgedPosition() throws -> Int64 {
        try db.value(Int64.self, sql: "SELECT acked_seq FROM _sync_state WHERE id = 1") ?? 0
    }

    /// The next page of unacknowledged changes, at most `limit` log entries, each record once.
    /// Its cursor is the last log position included.
    func page(limit: Int) throws -> ChangeBatch {
        let acked = try acknowledgedPosition()
        let entries = try db.rows(
            sql: "SELECT seq, tbl, row_id FROM _sync_log WHERE seq > ? ORDER BY seq LIMIT ?",
            arguments: [acked, limit + 1])
        let page = entries.prefix(limit)
        var keys: [RecordKey] = []
        var seen = Set<RecordKey>()
        for entry in page {
            let key = RecordKey(SyncTable(rawValue: entry[1])!, entry[2])
            if seen.insert(key).inserted { keys.append(key) }
        }
        let states = try StateTable(db).load(keys)
        let records = keys.compactMap { states[$0] }
        return ChangeBatch(
            records: records, offices: try OfficeDirectory(db: db).offices(for: records),
            cursor: page.last?[0] ?? acked, hasMore: entries.count > limit)
    }

    /// The records with unacknowledged log entries.
    func pendingKeys() throws -> Set<RecordKey> {
        Set(
            try db.rows(
                sql: """
                    SELECT DISTINCT tbl, row_id FROM _sync_log
                    WHERE seq > (SELECT acked_seq FROM _sync_state WHERE id = 1)
                    """
            ).map { RecordKey(SyncTable(rawValue: $0[0])!, $0[1]) })
    }

    /// The number of unacknowledged log entries (cheap: counts only the log's tail).
    func pendingCount() throws -> Int {
        try db.value(
            Int.self,
            sql: "SELECT count(*) FROM _sync_log WHERE seq > (SELECT acked_seq FROM _sync_state WHERE id = 1)") ?? 0
    }

    /// Marks changes up to `position` as stored upstream. Later entries stay pending.
    func acknowledge(upTo position: Int64) throws {
        try db.run(sql: "UPDATE _sync_state SET acked_seq = max(acked_seq, ?) WHERE id = 1", arguments: [position])
    }

    /// Queues `keys` to be sent again, one relay entry each.
    func relay(_ keys: [RecordKey]) throws {
        for key in keys {
            // A relay entry takes a log position (a counter value no write uses) and no dot.
            try db.run(sql: "UPDATE _sync_clock SET counter = counter + 1 WHERE id = 1")
            try db.run(
                sql:
                    "INSERT INTO _sync_log (seq, tbl, row_id, op) SELECT counter, ?, ?, 'relay' FROM _sync_clock WHERE id = 1",
                arguments: [key.table.rawValue, key.id])
        }
    }

    /// Queues every record this store holds to be sent again.
    func relayAll() throws {
        try db.run(
            sql: """
                INSERT INTO _sync_log (seq, tbl, row_id, op)
                SELECT (SELECT counter FROM _sync_clock WHERE id = 1) + row_number() OVER (ORDER BY seq),
                    tbl, id, 'relay'
                FROM _sync_records
                """)
        try db.run(sql: "UPDATE _sync_clock SET counter = counter + ? WHERE id = 1", arguments: [db.changesCount])
    }
}
