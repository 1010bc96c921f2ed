import GRDB
import SyncKernel
import SyncStore

/// Status and conflicts of a replica.
extension Replica {
    /// Counts of what waits: pending local edits and open conflicts.
    public func status() throws -> ReplicaStatus {
        try read { db in
            let row = try db.row(
                sql: """
                    SELECT
                        (SELECT count(*) FROM _sync_log WHERE seq > s.acked_seq) AS pending,
                        s.last_sync_at AS last_sync_at,
                        (SELECT coalesce(sum(conflicts), 0) FROM _sync_records) AS conflicts,
                        (SELECT count(*) FROM contacts) AS contacts,
                        (SELECT count(*) FROM activities) AS activities
                    FROM _sync_state s WHERE s.id = 1
                    """)!
            let waiting = try db.rows(sql: "SELECT route, unserved FROM _sync_leaving")
            return ReplicaStatus(
                replicaId: id.rawValue, office: office, pendingChanges: row["pending"],
                lastSyncAt: row["last_sync_at"], openConflicts: row["conflicts"],
                contacts: row["contacts"], activities: row["activities"], handingOver: waiting.count,
                unservedQuartiere: Set(waiting.filter { $0[1] as Bool }.map { $0[0] as String }).sorted())
        }
    }

    /// Changes not yet acknowledged by a server — local edits and records queued to be pushed
    /// back — (cheap: counts only the unacknowledged tail of the change log).
    public func pendingChanges() throws -> Int {
        try read { db in try Outbox(db: db).pendingCount() }
    }

    /// The open conflicts, oldest record change first.
    public func conflicts() throws -> [Conflict] {
        try write { db in
            try fold(db)
            let offices = try OfficeDirectory(db: db).all()
            return try db.rows(sql: "SELECT state FROM _sync_records WHERE conflicts > 0 ORDER BY seq")
                .flatMap { Conflict.conflicts(in: try StateTable.decode($0["state"]), offices: offices) }
        }
    }

    /// The stored state of one record, after folding local edits; nil if never seen.
    public func state(of key: RecordKey) throws -> RecordState? {
        try write { db in
            try fold(db)
            return try StateTable(db).load([key])[key]
        }
    }

}
