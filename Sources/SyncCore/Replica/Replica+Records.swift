import GRDB
import SyncKernel

/// Reading and editing contacts and activities through SyncCore.
///
/// Updates and deletes go through plain SQL, so the capture triggers record them exactly as
/// they record edits from any other client; inserts write the same log entries themselves
/// (see ``InsertCapture``). Values are validated first (see ``RecordValidator``).
extension Replica {
    /// A record as column → value, with every column of its table present.
    public typealias Values = [String: String?]

    /// Inserts a record and returns it as stored, with its generated `id` and timestamps.
    @discardableResult
    public func insert(_ table: SyncTable, values: Values) throws -> Values {
        let values = try RecordValidator(table: table).validate(values, isInsert: true)
        return try write { db in
            try checkReferences(db, table, values)
            let id = try InsertCapture(db: db, table: table).insert([values])[0]
            return try row(db, table, id)!
        }
    }

    /// Inserts many records in one transaction: all of them, or none if one is invalid.
    /// - Returns: the number inserted.
    @discardableResult
    public func insert(_ table: SyncTable, contentsOf records: [Values]) throws -> Int {
        let validator = RecordValidator(table: table)
        let valid = try records.map { try validator.validate($0, isInsert: true) }
        return try write { db in
            for values in valid { try checkReferences(db, table, values) }
            return try InsertCapture(db: db, table: table).insert(valid).count
        }
    }

    /// Changes the given fields of one record and returns it as stored.
    @discardableResult
    public func update(_ table: SyncTable, id: String, changes: Values) throws -> Values {
        guard !changes.isEmpty else {
            throw SyncError(.emptyChange, "nothing to change: name at least one field")
        }
        guard changes["id"] == nil else { throw SyncError(.invalidInput, "the id of a record cannot change") }
        let changes = try RecordValidator(table: table).validate(changes, isInsert: false)
        return try write { db in
            guard try exists(db, table, id) else { throw notFound(table, id) }
            try checkReferences(db, table, changes)
            let columns = changes.keys.sorted()
            try db.run(
                sql: "UPDATE \(table.rawValue) SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                arguments: StatementArguments(columns.map { changes[$0]! } + [id]))
            return try row(db, table, id)!
        }
    }

    /// The required fields of `values` that hold no value, in column order: what a record
    /// brought back by an edit concurrent with its delete lacks where no store still held the
    /// value (docs/sync-model.md). Such a record stays editable; these fields wait for a value.
    public static func missingRequiredFields(_ table: SyncTable, in values: Values) -> [String] {
        table.fields.filter { table.requiredFields.contains($0) && ((values[$0] ?? nil) ?? "").isEmpty }
    }

    /// Deletes one record. Its fields' values leave this replica; a tombstone keeps the dots.
    public func delete(_ table: SyncTable, id: String) throws {
        try write { db in
            guard try exists(db, table, id) else { throw notFound(table, id) }
            try db.run(sql: "DELETE FROM \(table.rawValue) WHERE id = ?", arguments: [id])
        }
    }

    /// One record, or a `not-found` error.
    public func record(_ table: SyncTable, id: String) throws -> Values {
        guard let values = try read({ db in try row(db, table, id) }) else { throw notFound(table, id) }
        return values
    }

    /// All visible records of `table`, optionally of one Quartier, ordered for reading:
    /// contacts by name, activities by start.
    public func records(_ table: SyncTable, quartier: String? = nil) throws -> [Values] {
        try read { db in
            let order = table == .contacts ? "name, id" : "starts_at, id"
            let filter = quartier == nil ? "" : "WHERE quartier = ?"
            let rows = try db.rows(
                sql:
                    "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.rawValue) \(filter) ORDER BY \(order)",
                arguments: StatementArguments(quartier.map { [$0] } ?? []))
            return rows.map { Self.values(table, $0) }
        }
    }

    func row(_ db: Database, _ table: SyncTable, _ id: String) throws -> Values? {
        try db.row(
            sql: "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.rawValue) WHERE id = ?",
            arguments: [id]
        ).map { Self.values(table, $0) }
    }

    static func values(_ table: SyncTable, _ row: Row) -> Values {
        var values: Values = [:]
        for (index, column) in table.columns.enumerated() { values[column] = row[index] as String? }
        return values
    }

    private func exists(_ db: Database, _ table: SyncTable, _ id: String) throws -> Bool {
        try db.value(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM \(table.rawValue) WHERE id = ?)", arguments: [id])
            ?? false
    }

    func checkReferences(_ db: Database, _ table: SyncTable, _ values: Values) throws {
        guard table == .activities, let organiser = values["organiser_id"] ?? nil else { return }
        guard try exists(db, .contacts, organiser) else {
            throw SyncError(
                .notFound, "organiser_id names no contact of this replica", field: "organiser_id"
            )
        }
    }

    private func notFound(_ table: SyncTable, _ id: String) -> SyncError {
        SyncError(.notFound, "no \(table.singular) with id \(id)")
    }
}
