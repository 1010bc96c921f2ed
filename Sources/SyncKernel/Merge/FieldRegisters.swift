/// The concurrent versions of each field of one record, held by column position.
///
/// A record's fields are known when its table is: the registers are a fixed array with one
/// slot per field of ``SyncTable/fields`` (an empty slot: the field was never written), so the
/// hot paths (merge, encode, decode, the visible row) index instead of hashing column names.
/// Subscripting by name remains for callers that speak in columns.
public struct FieldRegisters: Hashable, Sendable, Sequence {
    /// The table whose fields these are.
    public let table: SyncTable
    /// One slot per field of the table, in schema order.
    private var slots: [[Sibling<FieldValue>]]

    /// Registers with every field unwritten.
    public init(table: SyncTable) {
        self.table = table
        slots = Array(repeating: [], count: table.fields.count)
    }

    /// Registers from versions by column name. Names that are not fields of `table` are left
    /// out (a decoder refuses them before they get here).
    public init(table: SyncTable, _ byName: [String: [Sibling<FieldValue>]]) {
        self.init(table: table)
        for (name, siblings) in byName {
            if let index = table.fieldIndex(name) { slots[index] = siblings }
        }
    }

    /// The versions of the field at `index` in ``SyncTable/fields`` (empty: never written).
    public subscript(index index: Int) -> [Sibling<FieldValue>] {
        get { slots[index] }
        set { slots[index] = newValue }
    }

    /// The versions of the field named `name`; nil when it was never written or is not a field
    /// of the table. Setting nil clears it.
    public subscript(name: String) -> [Sibling<FieldValue>]? {
        get {
            guard let index = table.fieldIndex(name), !slots[index].isEmpty else { return nil }
            return slots[index]
        }
        set {
            guard let index = table.fieldIndex(name) else { return }
            slots[index] = newValue ?? []
        }
    }

    /// How many fields were written.
    public var count: Int { slots.reduce(0) { $0 + ($1.isEmpty ? 0 : 1) } }

    /// The names of the written fields, in schema order.
    public var keys: [String] { map(\.key) }

    /// The versions of the written fields, in schema order (a view: nothing is copied, as
    /// apply reads it for every state).
    public var values: LazyFilterSequence<[[Sibling<FieldValue>]]> { slots.lazy.filter { !$0.isEmpty } }

    /// The written fields, in schema order.
    public func makeIterator() -> some IteratorProtocol<(key: String, value: [Sibling<FieldValue>])> {
        let names = table.fields
        return slots.indices.lazy.filter { !slots[$0].isEmpty }.map { (key: names[$0], value: slots[$0]) }
            .makeIterator()
    }
}
