import SyncKernel

/// What `syncctl status` shows: who this replica is and what waits to be synced or decided.
public struct ReplicaStatus: Sendable, Equatable, Codable {
    /// The replica's identity.
    public var replicaId: String
    /// The office it belongs to.
    public var office: String
    /// Local edits not yet acknowledged by a server.
    public var pendingChanges: Int
    /// When the last sync finished (ISO 8601 UTC), or nil if it never synced.
    public var lastSyncAt: String?
    /// Conflicts waiting for a person.
    public var openConflicts: Int
    /// Visible contacts.
    public var contacts: Int
    /// Visible activities.
    public var activities: Int
    /// Records routed to another Quartier that stay here until an office there holds them (or,
    /// moved away by another office with an edit of this replica's, until every Quartier's
    /// offices hold the feed past the move).
    public var handingOver: Int = 0
    /// Quartiere of records kept here because no office serves them (the server said so).
    public var unservedQuartiere: [String] = []
}
