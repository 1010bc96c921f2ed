import SyncCore
import SyncKernel

/// What a finished sync did (`syncctl sync`, `--json`).
public struct SyncSummary: Sendable, Equatable {
    /// States pushed.
    public var sent = 0
    /// Pulled states new to this replica (they changed something here).
    public var received = 0
    /// Pulled states this replica held already (its own changes coming back, or states
    /// pulled again after the server lost data): they changed nothing.
    public var alreadyHeld = 0
    /// Pulled states merged with concurrent local edits.
    public var merged = 0
    /// Pulled records that now carry an open conflict.
    public var conflicts = 0
    /// Wall time in milliseconds.
    public var durationMs = 0
    /// Request body bytes sent (compressed).
    public var bytesSent = 0
    /// Response body bytes received, as they crossed the network.
    public var bytesReceived = 0
    /// Records erased here under erasure orders (their values are gone from this replica's
    /// files).
    public var erased = 0
    /// Records that left this office's scope and were removed here.
    public var evicted = 0
    /// What the sync did because the server had lost data (restored from a backup, or a
    /// new store): see ``Replica/Recovery``.
    public var recovery = Replica.Recovery.none
    /// Local changes the server refused in this sync: records of Quartiere this office
    /// does not serve, or states that break a rule. They stay here, marked
    /// (``Replica/refusedWrites()``).
    public var refused: [Replica.RefusedWrite] = []
    /// Pulled states that break a rule every store keeps (a broken or hostile server, or one
    /// that stored them before the rule): not applied here, each alone; the rest of their
    /// page was. Only the server's admin can mend them.
    public var skipped: [StateRefusal] = []

    /// An empty summary.
    public init() {}
}
