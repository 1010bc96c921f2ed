/// How a person settles a conflict. Every decision becomes a new write whose context covers
/// every competing version, so it closes the conflict on every store it reaches — also when
/// the chosen value is the one the table shows already.
public enum ConflictDecision: Sendable, Hashable {
    /// Keep the value written by this office (as ``Conflict/offices`` names it).
    case take(office: String)
    /// Keep the value the table shows now (the provisional winner).
    case takeShown
    /// Write these values; the contested field must be among them.
    case set(RecordValues)
    /// Delete versus edit: the record stays, with the values it shows.
    case keep
    /// Delete versus edit: the delete is confirmed.
    case delete
    /// An ordinary edit of the contested field (`contact edit`, `activity edit`).
    case edit

    /// The decision's name in the audit trail.
    public var name: String {
        switch self {
        case .take: "take-office"
        case .takeShown: "take-shown"
        case .set: "set"
        case .keep: "keep"
        case .delete: "delete"
        case .edit: "edit"
        }
    }

    /// What the decision writes.
    public enum Write: Sendable, Equatable {
        /// These fields are written (forced: captured even where the value does not change).
        case fields(RecordValues)
        /// The record is written as existing, no field changes.
        case exists
        /// The record is deleted.
        case delete
    }

    /// What settling `conflict` this way writes, given the values the table shows now; or an
    /// error that says which decisions fit this conflict.
    public func write(for conflict: Conflict, shown: RecordValues) throws(SyncError) -> Write {
        let table = conflict.table
        switch (self, conflict.kind) {
        case (.keep, .deleteVersusEdit): return .exists
        case (.delete, .deleteVersusEdit): return .delete
        case (.keep, .field), (.delete, .field):
            throw SyncError(
                .invalidInput,
                "conflict \(conflict.id) is about the field \(conflict.field), not a delete: take an office's value, the shown value, or set one",
                field: "decision")
        case (_, .deleteVersusEdit):
            throw SyncError(
                .invalidInput,
                "conflict \(conflict.id) is a delete against an edit: keep the record or confirm the delete",
                field: "decision")
        case (.take(let office), .field):
            guard let version = conflict.versions.last(where: { ($0.office ?? $0.dot.replica.rawValue) == office })
            else {
                throw SyncError(
                    .invalidInput,
                    "no version of conflict \(conflict.id) comes from \(office): choose one of \(conflict.offices.joined(separator: ", "))",
                    field: "take")
            }
            var values = RecordValues(table)
            values[conflict.field] = version.value
            return .fields(values)
        case (.takeShown, .field), (.edit, .field):
            var values = RecordValues(table)
            values[conflict.field] = shown[conflict.field]
            return .fields(values)
        case (.set(let values), .field):
            guard let column = table.columnIndex(conflict.field), values.isGiven(column) else {
                throw SyncError(
                    .invalidInput, "conflict \(conflict.id) is about \(conflict.field): set that field",
                    field: conflict.field)
            }
            return .fields(values)
        }
    }
}
