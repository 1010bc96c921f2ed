/// The value one write gave one field.
///
/// `.erased` stands for a value that this store no longer holds: a deleted record keeps the dots
/// of its fields but not their values (personal data does not outlive a delete). When two
/// stores hold the same write, a known value beats `.erased`, so a record brought back by a
/// concurrent edit regains every value some store still has.
public enum FieldValue: Hashable, Sendable {
    /// SQL NULL.
    case null
    /// A text value (every replicated column is TEXT).
    case text(String)
    /// The value was dropped when the record was deleted.
    case erased

    /// The value as it appears in the table: `nil` for NULL or erased.
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// Creates a value from an optional string.
    public init(_ text: String?) { self = text.map(FieldValue.text) ?? .null }

    /// The value two holders of the same write agree on: anything known beats `.erased`.
    func joined(with other: FieldValue) -> FieldValue {
        if self == .erased { return other }
        if other == .erased { return self }
        // Two different known values for one dot cannot come from a correct store; pick one
        // deterministically so that every store still agrees.
        return (self.text ?? "") >= (other.text ?? "") ? self : other
    }

    /// The replaced value two holders of the same write agree on: known beats unknown.
    static func joined(_ a: FieldValue?, _ b: FieldValue?) -> FieldValue? {
        guard let a else { return b }
        guard let b else { return a }
        return a.joined(with: b)
    }
}
