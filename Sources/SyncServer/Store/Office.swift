/// A quartier office registered on the server: who may push and pull, and what it may see.
public struct Office: Sendable, Equatable, Codable {
    /// The office's name, unique on the server.
    public var name: String
    /// The Quartiere whose records the office receives, besides shared (`*`) records.
    public var quartiers: [String]
    /// When the office was registered (ISO 8601 UTC).
    public var createdAt: String
    /// When its token was revoked, if it was.
    public var revokedAt: String?

    /// Creates an office.
    public init(name: String, quartiers: [String], createdAt: String, revokedAt: String? = nil) {
        self.name = name
        self.quartiers = quartiers
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
