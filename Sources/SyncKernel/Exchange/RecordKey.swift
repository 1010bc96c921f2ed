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

    /// How many conflicts are open on this record (contested fields plus delete-vs-edit):
    /// ``conflictingFields`` counted without naming them (apply asks for every state).
    public var openConflictCount: Int {
        guard isVisible else { return 0 }
        var count = alive.contains { !$0.value } ? 1 : 0
        for siblings in fields.values where siblings.count > 1 {
            let first = siblings[0].value
            if siblings.contains(where: { $0.value != first }) { count += 1 }
        }
        return count
    }
}
