import GRDB
import SyncKernel
import SyncStore

/// Telling a server that lost data, and giving it back.
///
/// A server restored from an older backup, or started on an empty disk, lacks changes it had
/// acknowledged. Each office compares what the server says it holds (`ServerKnowledge`, from
/// `GET /v2/session`) with what the office knows, and when the server lacks something, queues
/// every record it holds to be pushed again and pulls from the beginning. Merging is
/// idempotent, so pushing a state the server has changes nothing.
extension Replica {
    /// What a server says it holds (`StateStore/ServerKnowledge`).
    public typealias ServerKnowledge = StateStore.ServerKnowledge

    /// The largest counter of each replica in any state this replica holds.
    public func knowledge() throws -> VersionVector {
        try store.knowledge()
    }

    /// The log position up to which `replica`'s pushes are stored here (0 if none).
    public func acknowledgedPosition(of replica: ReplicaID) throws -> Int64 {
        try store.acknowledgedPosition(of: replica)
    }

    /// The feed position of this replica's latest change.
    public func feedHead() throws -> Int64 {
        try store.feedHead()
    }

    /// What a replica does after comparing itself with its server.
    public enum Recovery: Sendable, Equatable {
        /// The server holds everything this replica gave it or got from it.
        case none
        /// The server lacks changes this replica holds: every record is queued to be pushed
        /// again, and the pull starts from the beginning.
        case resend
    }

    /// The server's recovery epoch at the last sync with `peer`; nil before the first.
    public func recoveryEpoch(for peer: String) throws -> Int64? {
        try read { db in try Peers(db: db).recoveryEpoch(for: peer) }
    }

    /// Notes the server's recovery epoch for `peer`.
    public func setRecoveryEpoch(_ epoch: Int64, for peer: String) throws {
        try write { db in try Peers(db: db).setRecoveryEpoch(epoch, for: peer) }
    }

    /// Compares `server` with this replica's knowledge and, where the server lost something,
    /// queues the repair (in one transaction): see ``Recovery``. With `force`, the repair is
    /// queued whatever the comparison says: another office found that the server lost data
    /// (the server's recovery epoch changed), and this one may hold some of it — a record's
    /// value, or only the Quartier it was routed to before.
    @discardableResult
    public func recover(from server: ServerKnowledge, peer: String, force: Bool = false) throws -> Recovery {
        try write { db in
            try fold(db)
            let outbox = Outbox(db: db)
            let peers = Peers(db: db)
            let acked = try outbox.acknowledgedPosition()
            let cursor = try peers.cursor(for: peer)
            // A feed behind this replica's cursor lost entries this replica pulled: some of their
            // writes may live only at offices now (the server tells no office about another
            // office's replicas, so this replica cannot tell which).
            var lost = force || server.acknowledged < acked || server.head < cursor
            // A server names the replicas of this replica's office only (older ones named
            // every replica): those it names and holds less of lost something.
            for (replica, counter) in try StateStore.knowledge(db).counters where replica != id {
                if let held = server.knowledge.counters[replica], held < counter { lost = true }
            }
            // Every record, one relay entry each.
            if lost { try outbox.relayAll() }
            guard lost else { return .none }
            try peers.rewind(peer)
            return .resend
        }
    }
}
