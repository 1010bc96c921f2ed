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
    /// office is not applied again: the first receipt is returned.
    func push(_ batch: ChangeBatch, key: String?, from office: Office) throws -> PushReceipt

    /// The next page of changes after `cursor` that `office` may see.
    func pull(since cursor: Int64, limit: Int, for office: Office) throws -> EncodedBatch

    /// The office a token belongs to, or nil (unknown or revoked).
    func office(forToken token: String) throws -> Office?

    /// Registers an office and returns its new token (shown once).
    func addOffice(name: String, quartiers: [String]) throws -> (Office, token: String)

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
