/// Where a running sync is, for progress displays.
public struct SyncProgress: Sendable {
    /// `push` or `pull`.
    public var phase: String
    /// States sent so far.
    public var sent: Int
    /// States received so far.
    public var received: Int
    /// Pending local changes left to push, when known.
    public var pendingLeft: Int?
}
