/// What `POST /v2/push` answers.
public struct PushReceipt: Sendable, Codable, Equatable {
    /// States in the batch.
    public var received: Int
    /// States that changed the server's store.
    public var stored: Int
    /// States the server already knew.
    public var alreadyKnown: Int
    /// States whose merge at the server left a new conflict (absent from servers before the
    /// conflict desk).
    public var conflicts: Int?
    /// States refused because the office may not write them, each with the rule (absent when
    /// none was, and from servers before scope on writes).
    public var refused: [RefusedChange]?
    /// The server's feed position after storing the push: every state of it lies at or below
    /// it (absent from servers before the hand-over of moved records).
    public var head: Int64?

    /// Creates a receipt.
    public init(
        received: Int, stored: Int, alreadyKnown: Int, conflicts: Int? = nil, refused: [RefusedChange]? = nil,
        head: Int64? = nil
    ) {
        self.head = head
        self.received = received
        self.stored = stored
        self.alreadyKnown = alreadyKnown
        self.conflicts = conflicts
        self.refused = refused
    }
}
