/// One office as `GET /v2/admin/offices` shows it to an admin: how it keeps up, never what
/// it holds.
public struct OfficeOverview: Sendable, Codable, Equatable {
    /// The office's name.
    public var name: String
    /// The Quartiere it serves.
    public var quartiers: [String]
    /// Whether its token is revoked.
    public var revoked: Bool
    /// When it last opened a sync (ISO 8601 UTC), if ever.
    public var lastSeenAt: String?
    /// How its last sync ended at the server: `ok` (it pulled to the end), `started` (it has
    /// not finished yet, or stopped half-way), or the error code it was answered with.
    public var lastResult: String?
    /// Open conflicts of records in its Quartiere.
    public var openConflicts: Int
    /// Changes in its Quartiere stored after the position it last pulled to.
    public var notYetPulled: Int

    /// Creates an overview.
    public init(
        name: String, quartiers: [String], revoked: Bool, lastSeenAt: String?, lastResult: String?,
        openConflicts: Int, notYetPulled: Int
    ) {
        self.name = name
        self.quartiers = quartiers
        self.revoked = revoked
        self.lastSeenAt = lastSeenAt
        self.lastResult = lastResult
        self.openConflicts = openConflicts
        self.notYetPulled = notYetPulled
    }
}
