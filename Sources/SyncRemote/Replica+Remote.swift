import Foundation
import GRDB
import SyncCore
import SyncKernel
import SyncProtocol

/// The server a replica syncs with, its sync history, and the lock that keeps syncs apart.
extension Replica {
    /// The configured server, or nil when the replica works alone. The token is read from its
    /// file (see ``setRemote(_:tokenFile:)``); a replica that still holds its token inside
    /// (made before tokens moved out) has it moved to `<replica>.token` first.
    public func remote() throws -> Remote? {
        try prepareRemoteTables()
        guard
            let row = try read({ db in
                try db.row(
                    sql: "SELECT server_url, token, token_file, ca_file, allow_insecure FROM _sync_remote WHERE id = 1")
            })
        else { return nil }
        let server: String = row["server_url"]
        let caFile: String? = row["ca_file"]
        let allowInsecure: Bool = row["allow_insecure"]
        if let tokenFile: String = row["token_file"] {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw SyncError(
                    .notConfigured,
                    "the token file \(tokenFile) is missing or unreadable: the office's token belongs there")
            }
            return try Remote(
                server: server, token: String(decoding: data, as: UTF8.self), caFile: caFile,
                allowInsecure: allowInsecure)
        }
        let remote = try Remote(server: server, token: row["token"], caFile: caFile, allowInsecure: allowInsecure)
        if path != nil { try setRemote(remote) }
        return remote
    }

    /// The server settings as stored, without reading the token: what `syncctl remote show`
    /// prints, and what `remote set` keeps when it is not given again.
    public struct RemoteSettings: Sendable, Equatable, Codable {
        /// The server's URL.
        public var server: String
        /// The file the token is read from (nil: a replica in memory keeps it inside).
        public var tokenFile: String?
        /// The private certificate authority's PEM file, if any.
        public var caFile: String?
        /// Whether plain HTTP to another host than this machine was allowed.
        public var allowInsecure: Bool
    }

    /// The server settings, or nil when the replica works alone.
    public func remoteSettings() throws -> RemoteSettings? {
        try prepareRemoteTables()
        return try read { db in
            try db.row(sql: "SELECT server_url, token_file, ca_file, allow_insecure FROM _sync_remote WHERE id = 1")
        }.map {
            RemoteSettings(server: $0[0], tokenFile: $0[1], caFile: $0[2], allowInsecure: $0[3])
        }
    }

    /// Runs SyncRemote's migrations (``RemoteSchema``) after the replica's own, if they have
    /// not run in this file yet.
    func prepareRemoteTables() throws {
        try migrate(extendedBy: RemoteSchema.register)
    }

    /// Where the token lives unless told otherwise: `<replica>.token`, beside the replica.
    public var defaultTokenFile: String? { path.map { $0 + ".token" } }

    /// Sets (or replaces) the server and token. The token never goes into the replica (a copied
    /// replica must not be a copied credential): with `tokenFile`, the replica remembers that
    /// file; without, the token is written to ``defaultTokenFile``, created readable by its
    /// owner only. (A replica in memory keeps it in memory.)
    public func setRemote(_ remote: Remote, tokenFile: String? = nil) throws {
        var file = tokenFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if file == nil, let defaultTokenFile {
            try Self.writePrivately(remote.token + "\n", to: defaultTokenFile)
            file = defaultTokenFile
        }
        try prepareRemoteTables()
        try write { db in
            try db.run(
                sql: """
                    INSERT INTO _sync_remote (id, server_url, token, token_file, ca_file, allow_insecure)
                    VALUES (1, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET server_url = excluded.server_url, token = excluded.token,
                        token_file = excluded.token_file, ca_file = excluded.ca_file,
                        allow_insecure = excluded.allow_insecure
                    """,
                arguments: [
                    remote.serverURL.absoluteString, file == nil ? remote.token : "", file,
                    remote.caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, remote.allowInsecure,
                ])
        }
    }

    /// Whether `path` can be read by others than its owner (a token file should not be).
    public static func isReadableByOthers(_ path: String) -> Bool {
        guard let mode = try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int else {
            return false
        }
        return mode & 0o077 != 0
    }

    /// Writes `text` to `path`, created (or truncated) with mode 0600, never following a link.
    /// (`what` names the file in messages.)
    public static func writePrivately(_ text: String, to path: String, what: String = "the token file") throws {
        let descriptor = openPrivateFile(path)
        guard descriptor >= 0 else {
            throw SyncError(.database, "cannot write \(what) \(path): check the directory's permissions")
        }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Foundation.write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw SyncError(.database, "cannot write \(what) \(path): is the disk full?")
        }
    }

    /// What the history says of a sync that never reached its end (killed, Ctrl-C, power lost).
    public static let interrupted = "interrupted"

    /// Notes in the history that a sync started, as ``interrupted`` until
    /// ``recordSyncRun(_:finishedAt:entry:)`` says how it ended: a sync that is killed still
    /// leaves its line in `syncctl log`. Returns the history entry.
    public func beginSyncRun(startedAt: String) throws -> Int64 {
        try prepareRemoteTables()
        return try write { db in
            try db.run(
                sql: """
                    INSERT INTO _sync_runs (started_at, duration_ms, result, sent, received, merged, conflicts, error)
                    VALUES (?, 0, ?, 0, 0, 0, 0, ?)
                    """,
                arguments: [
                    startedAt, Self.interrupted,
                    "the sync stopped before it finished (killed, interrupted or the computer went off); "
                        + "the next sync continues where it stopped",
                ])
            return db.lastInsertedRowID
        }
    }

    /// Writes how a sync ended into the history (into `entry` from ``beginSyncRun(startedAt:)``,
    /// or as a new line) and, when it succeeded, notes the time as the last sync.
    public func recordSyncRun(_ run: SyncRun, finishedAt: String, entry: Int64? = nil) throws {
        try prepareRemoteTables()
        try write { db in
            try db.run(sql: "DELETE FROM _sync_runs WHERE id = ?", arguments: [entry ?? -1])
            try db.run(
                sql: """
                    INSERT INTO _sync_runs (id, started_at, duration_ms, result, sent, received, merged, conflicts, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    entry, run.startedAt, run.durationMs, run.result, run.sent, run.received, run.merged,
                    run.conflicts, run.error,
                ])
            if run.result == "ok" {
                try db.run(sql: "UPDATE _sync_state SET last_sync_at = ? WHERE id = 1", arguments: [finishedAt])
            }
        }
    }

    /// The most recent syncs, newest first.
    public func syncRuns(limit: Int = 50) throws -> [SyncRun] {
        try prepareRemoteTables()
        return try read { db in
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

/// `open(2)` for a token file: created 0600, truncated, never through a symbolic link.
private func openPrivateFile(_ path: String) -> Int32 {
    open(path, O_CREAT | O_WRONLY | O_TRUNC | O_NOFOLLOW, 0o600)
}

/// `open(2)` for the lock file (at file scope, where `open` is the C function, not `Replica.open`).
private func openLockFile(_ path: String) -> Int32 {
    open(path, O_CREAT | O_RDWR, 0o600)
}
