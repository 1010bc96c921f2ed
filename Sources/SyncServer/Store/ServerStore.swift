import SyncCore

/// Where the server keeps record states and its office registry.
///
/// The embedded SQLite store (``SQLiteServerStore``) is the default; a PostgreSQL store for
/// deployments that outgrow one machine implements the same protocol. Merging always goes
/// through SyncCore's ``MergeKernel``, never through route code.
protocol ServerStore: Sendable {
    /// Identifies this store; clients keep their pull cursor per store id.
    var storeID: String { get }

    /// Merges a pushed batch from `office`. A batch whose `key` was already stored for the
    /// office is not applied again: the first receipt is returned. With `replica`, the store
    /// notes, in the same transaction, that it holds that replica's changes up to the batch's
    /// cursor.
    func push(_ batch: ChangeBatch, key: String?, from office: Office, replica: ReplicaID?) throws -> PushReceipt

    /// What the store holds, as `replica` of `office` sees it: the answer to `GET /v2/session`.
    func session(for office: Office, replica: ReplicaID?) throws -> SessionInfo

    /// Notes that `office` found the store had lost data; returns the new recovery epoch.
    func reportRecovery(from office: Office) throws -> Int64

    /// The next page of changes after `cursor` that `office` may see.
    func pull(since cursor: Int64, limit: Int, for office: Office) throws -> EncodedBatch

    /// The office a token belongs to, or nil (unknown or revoked).
    func office(forToken token: String) throws -> Office?

    /// Registers an office and returns its new token (shown once). An active office of that
    /// name keeps its token and gets the new Quartiere (the token is then nil); a revoked one
    /// is registered again with a new token.
    func addOffice(name: String, quartiers: [String]) throws -> (Office, token: String?)

    /// Every registered office, revoked ones included.
    func offices() throws -> [Office]

    /// Revokes an office's token; its pushes and pulls are refused from then on.
    func revokeOffice(name: String) throws
}

/// What the server answers to a push.
struct PushReceipt: Sendable, Codable, Equatable {
    /// States in the batch.
    var received: Int
    /// States that changed the store.
    var stored: Int
    /// States the store already knew.
    var alreadyKnown: Int
}

/// What `GET /v2/session` answers (docs/protocol.md).
struct SessionInfo: Sendable, Codable, Equatable {
    /// The office's name.
    var office: String
    /// The Quartiere it serves.
    var quartiers: [String]
    /// The store's id.
    var storeId: String
    /// The store's feed head.
    var head: Int64
    /// The asking replica's log position up to which its pushes are stored.
    var acknowledged: Int64
    /// The largest counter of each replica in any state the store holds.
    var knowledge: [String: UInt64]
    /// The recovery epoch (see `POST /v2/recovery`).
    var epoch: Int64
}
