import SyncKernel

/// The body of `POST /v2/admin/conflicts/{id}/resolve`: a decision and its reason.
public struct ResolveRequest: Sendable, Codable, Equatable {
    /// `take-office`, `take-shown`, `set`, `keep` or `delete` (``ConflictDecision/name``).
    public var decision: String
    /// For `take-office`: whose value to keep.
    public var office: String?
    /// For `set`: the values by column name (`null` empties a field).
    public var values: [String: String?]?
    /// Why; kept in the audit trail.
    public var reason: String

    /// Creates a request for `decision`.
    public init(_ decision: ConflictDecision, reason: String) {
        self.decision = decision.name
        self.reason = reason
        switch decision {
        case .take(let office): self.office = office
        case .set(let values):
            var given: [String: String?] = [:]
            for (index, column) in values.table.columns.enumerated() where values.isGiven(index) {
                given[column] = values[column: index]
            }
            self.values = given
        default: break
        }
    }

    /// The decision for a conflict of `table`, or an error naming what is missing.
    public func decision(for table: SyncTable) throws -> ConflictDecision {
        switch decision {
        case "take-office":
            guard let office, !office.isEmpty else {
                throw SyncError(.missingField, "take-office needs the office whose value to keep", field: "office")
            }
            return .take(office: office)
        case "take-shown": return .takeShown
        case "keep": return .keep
        case "delete": return .delete
        case "set":
            guard let values, !values.isEmpty else {
                throw SyncError(.missingField, "set needs values by field", field: "values")
            }
            return .set(try RecordValues(table, values))
        default:
            throw SyncError(
                .invalidInput, "decision must be take-office, take-shown, set, keep or delete", field: "decision")
        }
    }
}
