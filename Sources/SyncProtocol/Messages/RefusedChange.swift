/// A pushed change the server refused because the office may not write it (docs/protocol.md,
/// "Scope on writes"): listed in the push's receipt, never stored. Names the record by table
/// and id, and the rule, never a value.
public struct RefusedChange: Sendable, Codable, Equatable {
    /// The record's table (`contacts`, `activities`).
    public var table: String
    /// The record's id.
    public var id: String
    /// The rule: `outside-scope`, `conflicting-dot`, `rewrites-known-versions` or `invalid-state`.
    public var code: String
    /// What happened and what to do.
    public var message: String

    /// Creates the note of a refusal.
    public init(table: String, id: String, code: String, message: String) {
        self.table = table
        self.id = id
        self.code = code
        self.message = message
    }
}
