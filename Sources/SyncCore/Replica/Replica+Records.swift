import GRDB
import SyncKernel
import SyncStore

/// Reading and editing contacts and activities through SyncCore.
///
/// Updates and deletes go through plain SQL, so the capture triggers record them exactly as
/// they record edits from any other client; inserts write the same log entries themselves
/// (see ``InsertCapture``). Values are validated first (see ``RecordValidator``).
extension Replica {
    /// Inserts a record and returns it as stored, with its generated `id` and timestamps.
    @discardableResult
    public func insert(_ record: RecordValues) throws -> RecordValues {
        let record = try RecordValidator(table: record.table).validate(record, isInsert: true)
        return try write { db in
            try checkReferences(db, record)
            let id = try InsertCapture(db: db, table: record.table).insert([record])[0]
            return try row(db, record.table, id)!
        }
    }

    /// Inserts a record given by column name (see ``insert(_:)``).
    @discardableResult
    public func insert(_ table: SyncTable, values: [String: String?]) throws -> RecordValues {
        try insert(try RecordValues(table, values))
    }

    /// Inserts many records of `table` in one transaction: all of them, or none if one is
    /// invalid. The fast path for imports and tests of scale.
    /// - Returns: the number inserted.
    @discardableResult
    public func insert(_ table: SyncTable, contentsOf records: [RecordValues]) throws -> Int {
        let validator = RecordValidator(table: table)
        let valid = try records.map { try validator.validate($0, isInsert: true) }
        return try write { db in
            for record in valid { try checkReferences(db, record) }
            return try InsertCapture(db: db, table: table).insert(valid).count
        }
    }

    /// Changes the given columns of one record and returns it as stored. A given field that is
    /// in conflict is written even when its value stays, which settles the conflict (recorded
    /// in ``resolutions()`` as an `edit`); any write settles a delete against an edit.
    @discardableResult
    public func update(_ table: SyncTable, id: String, changes: RecordValues) throws -> RecordValues {
        precondition(changes.table == table, "changes of a \(changes.table.singular) for a \(table.singular)")
        guard !changes.isEmpty else {
            throw SyncError(.emptyChange, "nothing to change: name at least one field")
        }
        guard !changes.isGiven(0) else { throw SyncError(.invalidInput, "the id of a record cannot change") }
        let changes = try RecordValidator(table: table).validate(changes, isInsert: false)
        return try write { db in
            guard try exists(db, table, id) else { throw notFound(table, id) }
            try checkReferences(db, changes)
            // An edit of a contested field settles it, whatever the value (see ForcedWrite).
            try fold(db)
            let key = RecordKey(table, id)
            let state = try StateTable(db).load([key])[key]
            let conflicts = state.map { Conflict.conflicts(in: $0, offices: [:]) } ?? []
            var forced: Int64 = 0
            for conflict in conflicts {
                if let index = table.fieldIndex(conflict.field), changes.isGiven(index + 1) {
                    forced |= 1 << Int64(index)
                }
            }
            let written = try ForcedWrite(db: db, table: table).update(id, changes, forced: forced)
            if written, let state {
                let settled = conflicts.filter {
                    $0.kind == .deleteVersusEdit || table.fieldIndex($0.field).map { changes.isGiven($0 + 1) } == true
                }
                if !settled.isEmpty {
                    _ = try record(db, settled, in: state, decision: .edit, reason: "changed by an edit of the record")
                }
            }
            return try row(db, table, id)!
        }
    }

    /// Changes the given fields of one record, by column name (see ``update(_:id:changes:)``).
    @discardableResult
    public func update(_ table: SyncTable, id: String, changes: [String: String?]) throws -> RecordValues {
        try update(table, id: id, changes: try RecordValues(table, changes))
    }

    /// The required fields of `record` that hold no value, in column order: what a record
    /// brought back by an edit concurrent with its delete lacks where no store still held the
    /// value (docs/sync-model.md). Such a record stays editable; these fields wait for a value.
    public static func missingRequiredFields(in record: RecordValues) -> [String] {
        record.table.fields.filter { record.table.requiredFields.contains($0) && (record[$0] ?? "").isEmpty }
    }

    /// Deletes one record. Its fields' values leave this replica; a tombstone keeps the dots.
    public func delete(_ table: SyncTable, id: String) throws {
        try write { db in
            guard try exists(db, table, id) else { throw notFound(table, id) }
            try db.run(sql: "DELETE FROM \(table.rawValue) WHERE id = ?", arguments: [id])
        }
    }

    /// One record, or a `not-found` error.
    public func record(_ table: SyncTable, id: String) throws -> RecordValues {
        guard let values = try read({ db in try row(db, table, id) }) else { throw notFound(table, id) }
        return values
    }

    /// All visible records of `table`, optionally of one Quartier, ordered for reading:
    /// contacts by name, activities by start.
    public func records(_ table: SyncTable, quartier: String? = nil) throws -> [RecordValues] {
        try read { db in
            let order =
                switch table {
                case .contacts: "name, id"
                case .activities: "starts_at, id"
                case .resolutions: "resolved_at, id"
                case .erasures: "ordered_at, id"
                }
            let filter = quartier == nil ? "" : "WHERE quartier = ?"
            let rows = try db.rows(
                sql:
                    "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.rawValue) \(filter) ORDER BY \(order)",
                arguments: StatementArguments(quartier.map { [$0] } ?? []))
            return rows.map { Self.record(table, $0) }
        }
    }

    func row(_ db: Database, _ table: SyncTable, _ id: String) throws -> RecordValues? {
        try db.row(
            sql: "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.rawValue) WHERE id = ?",
            arguments: [id]
        ).map { Self.record(table, $0) }
    }

    /// A row read with the table's columns in order.
    static func record(_ table: SyncTable, _ row: Row) -> RecordValues {
        var record = RecordValues(table)
        for index in table.columns.indices { record[column: index] = row[index] as String? }
        return record
    }

    private func exists(_ db: Database, _ table: SyncTable, _ id: String) throws -> Bool {
        try db.value(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM \(table.rawValue) WHERE id = ?)", arguments: [id])
            ?? false
    }

    func checkReferences(_ db: Database, _ record: RecordValues) throws {
        guard record.table == .activities, let organiser = record["organiser_id"] else { return }
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
