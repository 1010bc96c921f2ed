import Foundation
import SyncKernel
import SyncProtocol

/// A server store as an office's upstream in the same process: the protocol's calls without
/// HTTP, with the rules the routes apply (the office's Quartiere from the registry, the
/// validator's limits and clock, the state count per push).
///
/// For tests and tools that sync replicas without starting a server: `Synchronizer` drives it
/// exactly as it drives `SyncClient`, so the in-process tests run the sync offices run.
public struct InProcessUpstream: Upstream {
    /// The store the office syncs with.
    public let store: any ServerStore
    /// The office whose token the calls carry.
    public let office: Office
    /// The limits the routes would keep.
    public let configuration: ServerConfiguration

    /// An upstream answering `office`'s calls from `store`.
    public init(store: any ServerStore, office: Office, configuration: ServerConfiguration = ServerConfiguration()) {
        self.store = store
        self.office = office
        self.configuration = configuration
    }

    public func session(replica: ReplicaID) async throws -> Session {
        let session = try await store.session(for: office, replica: replica)
        try await store.note(.started, of: office)
        return session
    }

    public func reportRecovery() async throws -> Int64 {
        try await store.reportRecovery(from: office).epoch
    }

    public func push(_ batch: ChangeBatch, key: String, replica: ReplicaID) async throws -> PushReceipt {
        guard batch.records.count + batch.evictions.count <= configuration.maxStatesPerBatch else {
            throw SyncError(
                .rejected, "a push may carry at most \(configuration.maxStatesPerBatch) states: send smaller batches")
        }
        let validator = StateValidator(
            maxFieldLength: configuration.maxFieldLength, now: Int64(Date().timeIntervalSince1970 * 1000))
        return try await store.push(batch, key: key, from: office, replica: replica, validator: validator)
    }

    public func erasures(everywhere: Bool) async throws -> ChangeBatch {
        try await store.outstandingErasures(for: office, everywhere: everywhere)
    }

    public func pull(since cursor: Int64, limit: Int) async throws -> ChangeBatch {
        let page = try await store.pull(since: cursor, limit: limit, for: office)
        if !page.hasMore { try await store.note(.pulledToEnd(page.cursor, holds: cursor), of: office) }
        return try ChangeBatch(encoded: page.bytes, maxEntries: 4 * ChangeBatch.maxEntries)
    }
}
