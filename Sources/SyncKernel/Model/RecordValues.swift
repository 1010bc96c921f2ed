/// One row of a replicated table: a value (or NULL) for each column, held by column position.
///
/// The columns of a table are fixed (``SyncTable/columns``), so a record is an array with one
/// slot per column: the hot paths (validation, the bound insert, the fold) index it instead of
/// hashing column names, and a record always has every column of its table. A record also
/// knows which columns were *given*: an insert fills the others with their defaults, an update
/// changes only the given ones.
///
/// ```swift
/// var contact = RecordValues(.contacts)
/// contact["name"] = "Erika Beispiel"
/// contact["quartier"] = "kuckuck"
/// contact["email"] = nil          // given, and empty: an update clears the field
/// ```
public struct RecordValues: Hashable, Sendable {
    /// The table the record belongs to.
    public let table: SyncTable
    /// One value per column of ``SyncTable/columns``.
    private var slots: [String?]
    /// Bit `i` set: column `i` was given.
    private var given: UInt64

    /// A record of `table` with no column given.
    public init(_ table: SyncTable) {
        self.table = table
        slots = Array(repeating: nil, count: table.columns.count)
        given = 0
    }

    /// A record of `table` from values by column name; every named column is given.
    /// - Throws: `invalidInput` naming the first name that is not a column of `table`.
    public init(_ table: SyncTable, _ values: [String: String?]) throws {
        self.init(table)
        for (column, value) in values {
            guard let index = table.columnIndex(column) else {
                throw SyncError(
                    .invalidInput,
                    "\(table.rawValue) have no field '\(column)'; they have \(table.fields.joined(separator: ", "))",
                    field: column)
            }
            self[column: index] = value
        }
    }

    /// The value of the column named `column`; setting it marks the column given.
    /// Reading a name that is not a column of the table gives nil; setting one is a programming
    /// error (names from outside go through ``init(_:_:)``, which says which name is wrong).
    public subscript(column: String) -> String? {
        get { table.columnIndex(column).flatMap { slots[$0] } }
        set {
            guard let index = table.columnIndex(column) else {
                preconditionFailure("\(table.rawValue) have no column \(column)")
            }
            self[column: index] = newValue
        }
    }

    /// The value of the column at `index` in ``SyncTable/columns``; setting it marks the column
    /// given.
    public subscript(column index: Int) -> String? {
        get { slots[index] }
        set {
            slots[index] = newValue
            given |= 1 << UInt64(index)
        }
    }

    /// Whether the column at `index` was given.
    public func isGiven(_ index: Int) -> Bool { given & (1 << UInt64(index)) != 0 }

    /// Forgets that the column at `index` was given (an insert then uses its default).
    public mutating func remove(column index: Int) {
        slots[index] = nil
        given &= ~(1 << UInt64(index))
    }

    /// The record's id, if given.
    public var id: String? { slots[0] }

    /// Every column's value, in column order.
    public var values: [String?] { slots }

    /// The names of the given columns, in column order.
    public var givenColumns: [String] {
        table.columns.indices.filter(isGiven).map { table.columns[$0] }
    }

    /// Whether no column was given.
    public var isEmpty: Bool { given == 0 }
}

extension RecordValues: Encodable {
    /// A JSON object keyed by column name, every column present, `null` for NULL.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ColumnKey.self)
        for (index, column) in table.columns.enumerated() {
            try container.encode(slots[index], forKey: ColumnKey(stringValue: column))
        }
    }

    private struct ColumnKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
