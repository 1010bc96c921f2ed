/// A quartier office registered on the server: who may push and pull, and what it may see.
struct Office: Sendable, Equatable, Codable {
    /// The office's name, unique on the server.
    var name: String
    /// The Quartiere whose records the office receives, besides shared (`*`) records.
    var quartiers: [String]
    /// When the office was registered (ISO 8601 UTC).
    var createdAt: String
    /// When its token was revoked, if it was.
    var revokedAt: String?
}
