import Foundation
import GRDB
import SyncKernel

#if canImport(Glibc)
    import Glibc
#endif

extension StateStore {
    /// What a backup wrote.
    public struct Backup: Sendable, Codable, Equatable {
        /// The backup file.
        public var path: String
        /// Its size in bytes.
        public var bytes: Int64
        /// Records it holds: an office's contacts and activities as its tables show them, a
        /// server's record states (deleted ones included).
        public var records: Int
    }

    /// Copies this store into a new file at `path` with SQLite's online backup (a consistent
    /// snapshot, while others keep reading and writing), readable by its owner only (0600: it
    /// holds personal data), as one file (no `-wal` beside it), and checks the copy with
    /// `PRAGMA integrity_check`. `marking` writes into the copy before it is checked (a server
    /// store notes that the copy is a backup: served again, it was restored).
    /// - Throws: `invalid-input` when `path` exists (a backup never overwrites
    ///   a file) or cannot be created, `corrupt-data` when the copy fails its
    ///   check (the copy is removed).
    public func backup(to path: String, marking: (@Sendable (Database) throws -> Void)? = nil) throws -> Backup {
        try backup(to: path, marking: marking) { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM _sync_records") ?? 0
        }
    }

    /// ``backup(to:marking:)``, counting the copy's records with `count`.
    package func backup(
        to path: String, marking: (@Sendable (Database) throws -> Void)?, count: (Database) throws -> Int
    ) throws -> Backup {
        let descriptor = Glibc.open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard descriptor >= 0 else {
            let reason =
                errno == EEXIST
                ? "it exists (a backup never overwrites a file): choose a new name" : String(cString: strerror(errno))
            throw SyncError(.invalidInput, "cannot create the backup \(path): \(reason)")
        }
        Glibc.close(descriptor)
        do {
            let copy = try DatabaseQueue(path: path)
            try database.backup(to: copy)
            let (check, records) = try copy.writeWithoutTransaction { db in
                // One self-contained file: the copy takes the source's WAL mode with its pages.
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                try marking?(db)
                return (
                    try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "",
                    try count(db)
                )
            }
            try copy.close()
            guard check == "ok" else {
                throw SyncError(
                    .corruptData, "the backup \(path) failed its integrity check; it was removed: try again")
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            return Backup(path: path, bytes: size, records: records)
        } catch {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                try? FileManager.default.removeItem(atPath: path + suffix)
            }
            if let error = error as? SyncError { throw error }
            throw SyncError(
                .database, "cannot write the backup \(path): check the disk and its free space", cause: error)
        }
    }
}
