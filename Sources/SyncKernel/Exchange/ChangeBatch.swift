/// A page of record states exchanged between stores, with the office names of the replicas
/// whose dots appear in it.
///
/// Memory is bounded by the page size: a store never loads more than one page of states.
public struct ChangeBatch: Sendable, Equatable {
    /// The record states, each the whole state of one record.
    public var records: [RecordState] {
        didSet { encodedRecords = nil }
    }
    /// Office names by replica, so conflicts can say which office wrote what.
    public var offices: [ReplicaID: String]
    /// Where the next page starts: the sender's sequence number (changes feed) or log position
    /// (outgoing) of the last entry in this page.
    public var cursor: Int64
    /// Whether more pages follow.
    public var hasMore: Bool
    /// Records that left the receiver's scope since its cursor (pulls only; see ``Eviction``).
    public var evictions: [Eviction]

    /// Creates a batch.
    public init(
        records: [RecordState], offices: [ReplicaID: String], cursor: Int64, hasMore: Bool,
        evictions: [Eviction] = []
    ) {
        self.records = records
        self.offices = offices
        self.cursor = cursor
        self.hasMore = hasMore
        self.evictions = evictions
    }

    /// The binary form of each of `records`, where the batch was read from bytes (the wire,
    /// or the store's feed): writing a state on needs no re-encoding. Dropped whenever
    /// `records` changes.
    package var encodedRecords: [ArraySlice<UInt8>]?

    /// The bytes of record `index` as received, if the batch still has them.
    package func encodedRecord(at index: Int) -> ArraySlice<UInt8>? {
        guard let encodedRecords, encodedRecords.count == records.count else { return nil }
        return encodedRecords[index]
    }

    /// Batches are equal when they say the same; how they were read does not matter.
    public static func == (lhs: ChangeBatch, rhs: ChangeBatch) -> Bool {
        lhs.records == rhs.records && lhs.offices == rhs.offices && lhs.cursor == rhs.cursor
            && lhs.hasMore == rhs.hasMore && lhs.evictions == rhs.evictions
    }
}
