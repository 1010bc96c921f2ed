import SyncKernel

/// What a replica syncs with: the protocol's four calls (docs/protocol.md), whatever carries
/// them.
///
/// Two implementations exist: `SyncClient` (SyncRemote) sends each call over HTTP to a
/// `sync-server`; `InProcessUpstream` (SyncServer) makes the same calls on a server store in
/// the same process, for tests and tools. `Synchronizer` (SyncRemote) is the one sync that
/// drives either, so the in-process tests exercise the path offices use.
public protocol Upstream: Sendable {
    /// The office's scope and what the server holds of `replica`'s changes
    /// (`GET /v2/session`).
    func session(replica: ReplicaID) async throws -> Session

    /// Tells the server that `replica` found it had lost data; returns the new recovery epoch
    /// (`POST /v2/recovery`).
    func reportRecovery() async throws -> Int64

    /// The erasure orders this office has not confirmed, with the erased records' states, to
    /// carry out before it pushes (`GET /v2/erasures`); with `everywhere`, also the erased
    /// states of other Quartiere, for records the office keeps outside its own. Applying them
    /// moves no pull cursor.
    func erasures(everywhere: Bool) async throws -> ChangeBatch

    /// Stores a page of `replica`'s changes; a repeated `key` returns the first receipt and
    /// stores nothing again (`POST /v2/push`).
    func push(_ batch: ChangeBatch, key: String, replica: ReplicaID) async throws -> PushReceipt

    /// The next page of changes after `cursor` that the office may see (`GET /v2/pull`).
    func pull(since cursor: Int64, limit: Int) async throws -> ChangeBatch
}
