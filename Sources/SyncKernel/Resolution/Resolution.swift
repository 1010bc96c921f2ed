/// One entry of the audit trail: a conflict settled, how, by which office, when and why.
///
/// Stored as a record of ``SyncTable/resolutions``, so it replicates like the data and is
/// scoped like the record it is about (``quartier`` is the record's route). It names the
/// office whose value was taken, never the value itself.
public struct Resolution: Sendable, Hashable, Codable {
    /// The entry's own id.
    public var id: String
    /// The Quartier of the record (`*` for shared records): who may see this entry.
    public var quartier: String
    /// The conflict settled (as `conflicts list` named it).
    public var conflictId: String
    /// The table of the record.
    public var table: SyncTable
    /// The record's id.
    public var recordId: String
    /// The contested field, or ``Conflict/existenceField``.
    public var field: String
    /// The decision's name (``ConflictDecision/name``).
    public var decision: String
    /// For `take-office`: whose value was kept.
    public var chosenOffice: String?
    /// The office (or the server's admin, as `admin:NAME`) that decided.
    public var office: String
    /// Why, in the decider's words.
    public var reason: String
    /// When (ISO 8601, UTC).
    public var resolvedAt: String

    /// Creates an entry.
    public init(
        id: String, quartier: String, conflictId: String, table: SyncTable, recordId: String, field: String,
        decision: String, chosenOffice: String?, office: String, reason: String, resolvedAt: String
    ) {
        self.id = id
        self.quartier = quartier
        self.conflictId = conflictId
        self.table = table
        self.recordId = recordId
        self.field = field
        self.decision = decision
        self.chosenOffice = chosenOffice
        self.office = office
        self.reason = reason
        self.resolvedAt = resolvedAt
    }

    /// The entry for settling `conflict` with `decision`, by `office`, at `time`.
    public init(
        id: String, conflict: Conflict, route: String, decision: ConflictDecision, office: String, reason: String,
        resolvedAt: String
    ) {
        var chosen: String?
        if case .take(let name) = decision { chosen = name }
        self.init(
            id: id, quartier: route, conflictId: conflict.id, table: conflict.table, recordId: conflict.recordID,
            field: conflict.field, decision: decision.name, chosenOffice: chosen, office: office, reason: reason,
            resolvedAt: resolvedAt)
    }

    /// The entry as a row of ``SyncTable/resolutions``.
    public var record: RecordValues {
        var values = RecordValues(.resolutions)
        values["id"] = id
        values["quartier"] = quartier
        values["conflict_id"] = conflictId
        values["record_table"] = table.rawValue
        values["record_id"] = recordId
        values["field"] = field
        values["decision"] = decision
        values["chosen_office"] = chosenOffice
        values["office"] = office
        values["reason"] = reason
        values["resolved_at"] = resolvedAt
        return values
    }

    /// The entry a row of ``SyncTable/resolutions`` holds; nil for a row that is not a complete
    /// entry (a row written by hand with the `sqlite3` shell, say).
    public init?(_ row: RecordValues) {
        guard row.table == .resolutions, let id = row["id"], let quartier = row["quartier"],
            let conflictId = row["conflict_id"], let table = row["record_table"].flatMap(SyncTable.init(rawValue:)),
            let recordId = row["record_id"], let field = row["field"], let decision = row["decision"],
            let office = row["office"], let reason = row["reason"], let resolvedAt = row["resolved_at"]
        else { return nil }
        self.init(
            id: id, quartier: quartier, conflictId: conflictId, table: table, recordId: recordId, field: field,
            decision: decision, chosenOffice: row["chosen_office"], office: office, reason: reason,
            resolvedAt: resolvedAt)
    }

    /// The reason as given, trimmed; an error when it is empty. Every settlement says why.
    public static func checkedReason(_ reason: String) throws(SyncError) -> String {
        try checkedReason(reason, missing: "a resolution needs a reason: say why this value is right")
    }

    /// A reason as given, trimmed: an error saying `missing` when it is empty, another when it
    /// is longer than 500 characters. What every decision kept as proof asks (settlements,
    /// erasure orders).
    package static func checkedReason(_ reason: String, missing: String) throws(SyncError) -> String {
        let trimmed = reason.trimmedWhitespace
        guard !trimmed.isEmpty else { throw SyncError(.missingField, missing, field: "reason") }
        guard trimmed.count <= 500 else {
            throw SyncError(.invalidInput, "the reason is longer than 500 characters: say it shorter", field: "reason")
        }
        return trimmed
    }
}
