import SyncCore
import SyncKernel
import SyncProtocol

/// One entry of a replica's sync history (`syncctl log`).
public struct SyncRun: Sendable, Equatable, Codable {
    /// When the sync started (ISO 8601 UTC).
    public var startedAt: String
    /// How long it took, in milliseconds.
    public var durationMs: Int
    /// `ok`, or the error code that ended it (e.g. `server-unreachable`).
    public var result: String
    /// States pushed.
    public var sent: Int
    /// States pulled.
    public var received: Int
    /// Pulled states merged with concurrent local edits (with or without conflict).
    public var merged: Int
    /// Pulled states that left a conflict.
    public var conflicts: Int
    /// What went wrong, if anything (never personal data).
    public var error: String?

    /// Creates an entry.
    public init(
        startedAt: String, durationMs: Int, result: String, sent: Int = 0, received: Int = 0, merged: Int = 0,
        conflicts: Int = 0, error: String? = nil
    ) {
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.result = result
        self.sent = sent
        self.received = received
        self.merged = merged
        self.conflicts = conflicts
        self.error = error
    }
}
