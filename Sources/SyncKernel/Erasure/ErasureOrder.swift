/// An order to erase a person's record everywhere (DSGVO Art. 17): which record, when, by whom
/// and why — and nothing of the person.
///
/// Stored as a record of ``SyncTable/erasures``, so it replicates like the data and is scoped
/// like the record it erases (``quartier`` is the record's route). The record itself becomes
/// an erased state (``RecordState/erase(dot:time:)``) in the same write; every store that
/// receives that state drops the values it held, and the order is what offices confirm and
/// admins list.
public struct ErasureOrder: Sendable, Hashable, Codable {
    /// The order's own id.
    public var id: String
    /// The Quartier of the erased record (`*` for shared records): who hears of the order.
    public var quartier: String
    /// The table of the erased record.
    public var table: SyncTable
    /// The erased record's id.
    public var recordId: String
    /// The office, or the server's admin as `admin:NAME`, that ordered it.
    public var orderedBy: String
    /// Why, in the orderer's words (a request's reference, not the person's name).
    public var reason: String
    /// When (ISO 8601, UTC).
    public var orderedAt: String

    /// Creates an order.
    public init(
        id: String, quartier: String, table: SyncTable, recordId: String, orderedBy: String, reason: String,
        orderedAt: String
    ) {
        self.id = id
        self.quartier = quartier
        self.table = table
        self.recordId = recordId
        self.orderedBy = orderedBy
        self.reason = reason
        self.orderedAt = orderedAt
    }

    /// The order as a row of ``SyncTable/erasures``.
    public var record: RecordValues {
        var values = RecordValues(.erasures)
        values["id"] = id
        values["quartier"] = quartier
        values["record_table"] = table.rawValue
        values["record_id"] = recordId
        values["ordered_by"] = orderedBy
        values["reason"] = reason
        values["ordered_at"] = orderedAt
        values["updated_at"] = orderedAt
        return values
    }

    /// The order a row of ``SyncTable/erasures`` holds; nil for a row that is not a complete
    /// order.
    public init?(_ row: RecordValues) {
        guard row.table == .erasures, let id = row["id"], let quartier = row["quartier"],
            let table = row["record_table"].flatMap(SyncTable.init(rawValue:)), let recordId = row["record_id"],
            let orderedBy = row["ordered_by"], let reason = row["reason"], let orderedAt = row["ordered_at"]
        else { return nil }
        self.init(
            id: id, quartier: quartier, table: table, recordId: recordId, orderedBy: orderedBy, reason: reason,
            orderedAt: orderedAt)
    }

    /// The order a state of ``SyncTable/erasures`` holds; nil for another table's state or an
    /// incomplete one.
    public init?(_ state: RecordState) {
        guard state.table == .erasures, state.isVisible else { return nil }
        self.init(state.visibleRecord)
    }

    /// The reason as given, trimmed; an error when it is empty or long. Every erasure says
    /// why — a case reference, never the person's name (the order is kept as proof).
    public static func checkedReason(_ reason: String) throws(SyncError) -> String {
        try Resolution.checkedReason(
            reason, missing: "an erasure needs a reason: give the request's reference (not the person's name)")
    }
}
