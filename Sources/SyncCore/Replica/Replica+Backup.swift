import GRDB
import SyncKernel
import SyncStore

extension Replica {
    /// What a backup wrote (`StateStore/Backup`).
    public typealias Backup = StateStore.Backup

    /// Copies this replica into a new file at `path`, as `StateStore/backup(to:marking:)`
    /// does; the count is of the rows its data tables show.
    public func backup(to path: String) throws -> Backup {
        try store.backup(to: path, marking: nil) { db in
            try SyncTable.allCases.reduce(0) { total, table in
                total + (try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.rawValue)") ?? 0)
            }
        }
    }
}
