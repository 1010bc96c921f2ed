/// Syncs a replica with an upstream store in the same process, batch by batch: push the
/// replica's pending changes, then pull what upstream has that the replica has not seen.
///
/// This is the whole protocol without the network: the HTTP client does the same steps with
/// requests in between. Memory stays bounded by `batchSize` states.
public struct LocalSync: Sendable {
    /// States per page.
    public var batchSize: Int

    /// Creates a sync with pages of `batchSize` states.
    public init(batchSize: Int = 500) { self.batchSize = batchSize }

    /// What one sync did.
    public struct Summary: Sendable, Equatable {
        /// States pushed upstream.
        public var sent = 0
        /// What pulling did to the replica.
        public var received = ApplySummary()
    }

    /// Pushes every pending change of `replica` to `upstream`, acknowledging page by page.
    public func push(_ replica: Replica, to upstream: Replica) throws -> Int {
        var sent = 0
        while true {
            let batch = try replica.outgoing(limit: batchSize)
            if batch.records.isEmpty && !batch.hasMore {
                try replica.acknowledge(upTo: batch.cursor)
                return sent
            }
            try upstream.apply(batch, from: .downstream)
            try replica.acknowledge(upTo: batch.cursor)
            sent += batch.records.count
        }
    }

    /// Pulls everything `upstream` changed since the replica's cursor for it.
    public func pull(_ replica: Replica, from upstream: Replica) throws -> ApplySummary {
        var summary = ApplySummary()
        let peer = upstream.id.rawValue
        while true {
            let batch = try upstream.changes(since: try replica.cursor(for: peer), limit: batchSize)
            if batch.records.isEmpty { return summary }
            summary.add(try replica.apply(batch, from: .upstream(peer: peer)))
            if !batch.hasMore { return summary }
        }
    }

    /// Push, then pull.
    public func sync(_ replica: Replica, with upstream: Replica) throws -> Summary {
        let sent = try push(replica, to: upstream)
        return Summary(sent: sent, received: try pull(replica, from: upstream))
    }
}
