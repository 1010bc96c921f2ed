import SyncKernel

/// Syncs a replica with an upstream store in the same process, batch by batch: push the
/// replica's pending changes, then pull what upstream has that the replica has not seen.
///
/// This is the whole protocol without the network — the Quartier filter, evictions and
/// push-backs included: the HTTP client does the same steps with requests in between. Memory
/// stays bounded by `batchSize` states.
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
        /// Records that left the replica's scope.
        public var evicted = 0
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
            try upstream.apply(
                batch,
                from: .downstream(acknowledging: .init(replica: replica.id, position: batch.cursor)))
            try replica.acknowledge(upTo: batch.cursor)
            sent += batch.records.count
        }
    }

    /// Pulls everything `upstream` changed since the replica's cursor for it; with
    /// `quartiers`, only what an office serving them may see, as the server sends it.
    public func pull(_ replica: Replica, from upstream: Replica, quartiers: [String]? = nil) throws -> ApplySummary {
        var summary = ApplySummary()
        let peer = upstream.id.rawValue
        while true {
            let batch = try upstream.changes(
                since: try replica.cursor(for: peer), limit: batchSize, quartiers: quartiers)
            summary.add(try replica.apply(batch, from: .upstream(peer: peer)))
            if !batch.hasMore { return summary }
        }
    }

    /// Push, then pull, as `syncctl sync` does: with `quartiers`, records outside them leave
    /// the replica, and a record that could not leave yet (it held writes upstream had not
    /// seen) is pushed back and leaves on the next pull.
    public func sync(_ replica: Replica, with upstream: Replica, quartiers: [String]? = nil) throws -> Summary {
        var summary = Summary()
        let scopeChanged = try quartiers.map { try replica.adopt(scope: $0, for: upstream.id.rawValue) } ?? false
        summary.sent = try push(replica, to: upstream)
        if let quartiers {
            summary.evicted += try replica.evictOutside(scope: quartiers, everything: scopeChanged)
            if scopeChanged { try replica.confirm(scope: quartiers, for: upstream.id.rawValue) }
        }
        for _ in 0..<3 {
            let applied = try pull(replica, from: upstream, quartiers: quartiers)
            summary.received.add(applied)
            summary.sent += try push(replica, to: upstream)
            if let quartiers {
                summary.evicted += try replica.evictOutside(scope: quartiers)
            }
            if applied.pushedBack == 0 { break }
        }
        return summary
    }
}
