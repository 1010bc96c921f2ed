/// What `POST /v2/push` answers.
public struct PushReceipt: Sendable, Codable, Equatable {
    /// States in the batch.
    public var received: Int
    /// States that changed the server's store.
    public var stored: Int
    /// States the server already knew.
    public var alreadyKnown: Int

    /// Creates a receipt.
    public init(received: Int, stored: Int, alreadyKnown: Int) {
        self.received = received
        self.stored = stored
        self.alreadyKnown = alreadyKnown
    }
}
