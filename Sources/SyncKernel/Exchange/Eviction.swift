/// A record that left the receiving office's scope: its route moved to a Quartier the office
/// does not serve, or the office's Quartiere changed.
///
/// An eviction is not a delete: the record lives on elsewhere. It carries no values, only
/// the record's key and the sender's causal context, so that the receiver drops its copy only
/// when the sender has seen every write the receiver knows of (see docs/sync-model.md,
/// "Routing").
public struct Eviction: Sendable, Hashable {
    /// The record that left.
    public var key: RecordKey
    /// Every write to the record the sender has seen.
    public var context: VersionVector

    /// Creates an eviction.
    public init(key: RecordKey, context: VersionVector) {
        self.key = key
        self.context = context
    }
}
