import Foundation
import GRDB
import SyncCore
import SyncKernel
import SyncProtocol

/// The server a replica syncs with, its sync history, and the lock that keeps syncs apart.
extension Replica {
    /// The configured server, or nil when the replica works alone.
    public func remote() throws -> Remote? {
        try read { db in
            try db.row(sql: "SELECT server_url, token FROM _sync_remote WHERE id = 1").map {
                try Remote(server: $0["server_url"], token: $0["token"])
            }
        }
    }

    /// Sets (or replaces) the server and token.
    public func setRemote(_ remote: Remote) throws {
        try write { db in
            try db.run(
                sql: """
                    INSERT INTO _sync_remote (id, server_url, token) VALUES (1, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET server_url = excluded.server_url, token = excluded.token
                    """,
                arguments: [remote.serverURL.absoluteString, remote.token])
        }
    }

    /// Appends a sync to the history and, when it succeeded, notes the time as the last sync.
    public func recordSyncRun(_ run: SyncRun, finishedAt: String) throws {
        try write { db in
            try db.run(
                sql: """
                    INSERT INTO _sync_runs (started_at, duration_ms, result, sent, received, merged, conflicts, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run.startedAt, run.durationMs, run.result, run.sent, run.received, run.merged, run.conflicts,
                    run.error,
                ])
            if run.result == "ok" {
                try db.run(sql: "UPDATE _sync_state SET last_sync_at = ? WHERE id = 1", arguments: [finishedAt])
            }
        }
    }

    /// The most recent syncs, newest first.
    public func syncRuns(limit: Int = 50) throws -> [SyncRun] {
        try read { db in
            try db.rows(
                sql: """
                    SELECT started_at, duration_ms, result, sent, received, merged, conflicts, error
                    FROM _sync_runs ORDER BY id DESC LIMIT ?
                    """, arguments: [limit]
            ).map {
                SyncRun(
                    startedAt: $0[0], durationMs: $0[1], result: $0[2], sent: $0[3], received: $0[4], merged: $0[5],
                    conflicts: $0[6], error: $0[7])
            }
        }
    }

    /// Runs `body` while holding this replica's sync lock; a second sync on the same file
    /// (from any process) is refused at once. The lock is an advisory `flock` on
    /// `<replica>.sync-lock`, released by the kernel if the process dies.
    public func withSyncLock<T>(_ body: () async throws -> T) async throws -> T {
        guard let path else { return try await body() }
        let lockPath = path + ".sync-lock"
        let descriptor = openLockFile(lockPath)
        guard descriptor >= 0 else {
            throw SyncError(.database, "cannot create the sync lock \(lockPath): check the directory's permissions")
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw SyncError(
                .syncInProgress,
                "another sync of this replica is running: wait for it to finish, then sync again")
        }
        defer { flock(descriptor, LOCK_UN) }
        return try await body()
    }
}

/// `open(2)` for the lock file (at file scope, where `open` is the C function, not `Replica.open`).
private func openLockFile(_ path: String) -> Int32 {
    open(path, O_CREAT | O_RDWR, 0o600)
}
