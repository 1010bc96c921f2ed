import GRDB
import SyncKernel

/// What a store knows: the largest counter of each replica in the states it holds, how far it
/// holds each downstream replica's pushes, and its feed's head (docs/sync-model.md,
/// "Anti-entropy").
extension StateStore {
    /// What a server says it holds, as far as one replica is concerned.
    public struct ServerKnowledge: Sendable, Equatable {
        /// The largest counter of each replica in any state the server holds.
        public var knowledge: VersionVector
        /// The log position of this replica up to which the server holds its pushes.
        public var acknowledged: Int64
        /// The server's feed head: the position of its latest change.
        public var head: Int64

        /// Creates the summary.
        public init(knowledge: VersionVector, acknowledged: Int64, head: Int64) {
            self.knowledge = knowledge
            self.acknowledged = acknowledged
            self.head = head
        }
    }

    /// The largest counter of each replica in any state this store holds.
    public func knowledge() throws -> VersionVector {
        try read { db in try Self.knowledge(db) }
    }

    package static func knowledge(_ db: Database) throws -> VersionVector {
        var counters: [ReplicaID: UInt64] = [:]
        for row in try db.rows(sql: "SELECT replica_id, counter FROM _sync_knowledge") {
            counters[ReplicaID(rawValue: row[0])] = UInt64(clamping: row[1] as Int64)
        }
        return VersionVector(counters)
    }

    /// The log position up to which `replica`'s pushes are stored here (0 if none).
    public func acknowledgedPosition(of replica: ReplicaID) throws -> Int64 {
        try read { db in try Peers(db: db).acknowledgedPosition(of: replica) }
    }

    /// What this store holds of everybody's changes, and of `replica`'s pushes, read in one
    /// transaction without blocking the caller's thread: what a server tells an office.
    public func knowledge(for replica: ReplicaID?) async throws -> ServerKnowledge {
        try await read { db in
            ServerKnowledge(
                knowledge: try Self.knowledge(db),
                acknowledged: try replica.map { try Peers(db: db).acknowledgedPosition(of: $0) } ?? 0,
                head: try Self.feedHead(db))
        }
    }

    /// The feed position of this store's latest change.
    public func feedHead() throws -> Int64 {
        try read { db in try Self.feedHead(db) }
    }

    private static func feedHead(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT store_seq FROM _sync_state WHERE id = 1") ?? 0
    }

}
