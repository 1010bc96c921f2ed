/// Identifies a record across tables.
public struct RecordKey: Hashable, Sendable, CustomStringConvertible {
    /// The table.
    public var table: SyncTable
    /// The record's id.
    public var id: String

    /// Creates a key.
    public init(_ table: SyncTable, _ id: String) {
        self.table = table
        self.id = id
    }

    public var description: String { "\(table.rawValue)/\(id)" }
}

extension RecordState {
    /// The record's key.
    public var key: RecordKey { RecordKey(table, id) }

    /// How many conflicts are open on this record (contested fields plus delete-vs-edit).
    public var openConflictCount: Int { conflictingFields.count + (hasDeleteConflict ? 1 : 0) }
}
