/// What `GET /v2/session` answers: who the office is on this server, what it may see, and
/// what the server holds (for anti-entropy, docs/sync-model.md).
public struct Session: Sendable, Codable, Equatable {
    /// The office's name on the server.
    public var office: String
    /// The Quartiere the office serves (`*` for the shared records).
    public var quartiers: [String]
    /// The server store's id: pull cursors are kept per store.
    public var storeId: String
    /// The server's feed head.
    public var head: Int64
    /// The log position of the asking replica up to which the server holds its pushes.
    public var acknowledged: Int64
    /// The largest counter of each replica (by id) in any state the server holds.
    public var knowledge: [String: UInt64]
    /// The server's recovery epoch: it grows each time an office reports that the server
    /// lost data, so that every office sends what it holds again.
    public var epoch: Int64
    /// For each Quartier an active office serves (`*` included), the furthest feed position an
    /// office serving it has pulled through. An office lets a record it moved to another
    /// Quartier go only once that Quartier's position passed the record's: then an office
    /// there holds it, and a restore of the server cannot lose it. A Quartier missing here has
    /// no office. (Absent from servers before the hand-over of moved records.)
    public var delivered: [String: Int64]?
    /// How many erasure orders of the office's Quartiere it has not confirmed: when more than
    /// none, the office fetches them (`GET /v2/erasures`) and carries them out before it pushes.
    /// (Absent from servers before erasure orders.)
    public var erasures: Int?

    /// Creates an answer.
    public init(
        office: String, quartiers: [String], storeId: String, head: Int64, acknowledged: Int64,
        knowledge: [String: UInt64], epoch: Int64, delivered: [String: Int64]? = nil, erasures: Int? = nil
    ) {
        self.delivered = delivered
        self.erasures = erasures
        self.office = office
        self.quartiers = quartiers
        self.storeId = storeId
        self.head = head
        self.acknowledged = acknowledged
        self.knowledge = knowledge
        self.epoch = epoch
    }
}
