/// A page of the changes feed in its wire form (see ``ChangeBatch`` and docs/protocol.md),
/// built from the stored bytes without decoding the states: what the server sends.
public struct EncodedBatch: Sendable {
    /// The batch as ``ChangeBatch/encoded()`` would write it.
    public var bytes: [UInt8]
    /// The number of record states in it.
    public var count: Int
    /// Where the next page starts.
    public var cursor: Int64
    /// Whether more pages follow.
    public var hasMore: Bool

    /// Creates a page from bytes already in the wire form.
    public init(bytes: [UInt8], count: Int, cursor: Int64, hasMore: Bool) {
        self.bytes = bytes
        self.count = count
        self.cursor = cursor
        self.hasMore = hasMore
    }
}
