/// A replicated table of the replica: its name and the columns that sync field by field.
///
/// `id` identifies a record; `updated_at` is kept by the engine itself (it merges to the later
/// of the two values and never conflicts). Every other column is a *field*: it carries the dot
/// of its last write and is merged on its own.
public enum SyncTable: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// People and organisations: personal data under the DSGVO.
    case contacts
    /// Meetings, workshops, festivals, counselling hours.
    case activities

    /// The columns merged field by field, in schema order. Their position is the bit of the
    /// column in a change-log `mask`, so new columns may only be appended.
    public var fields: [String] { self == .contacts ? Self.contactFields : Self.activityFields }

    private static let contactFields = [
        "quartier", "name", "organisation", "role", "email", "phone", "notes", "consent_at", "created_at",
    ]
    private static let activityFields = [
        "quartier", "title", "description", "starts_at", "ends_at", "location", "handlungsfeld", "organiser_id",
        "status", "created_at",
    ]

    /// Fields that must hold a value for the row to be valid.
    public var requiredFields: Set<String> { self == .contacts ? Self.contactRequired : Self.activityRequired }

    private static let contactRequired: Set<String> = ["quartier", "name", "created_at"]
    private static let activityRequired: Set<String> = [
        "quartier", "title", "starts_at", "handlungsfeld", "status", "created_at",
    ]

    /// One record of the table, in words: "contact" or "activity".
    public var singular: String { self == .contacts ? "contact" : "activity" }

    /// All columns a row has, `id` first and `updated_at` last.
    public var columns: [String] { self == .contacts ? Self.contactColumns : Self.activityColumns }

    private static let contactColumns = ["id"] + contactFields + ["updated_at"]
    private static let activityColumns = ["id"] + activityFields + ["updated_at"]

    /// The position of `name` in ``columns``, or nil. A field's column is its position in
    /// ``fields`` plus one (`id` comes first).
    public func columnIndex(_ name: String) -> Int? {
        self == .contacts ? Self.contactColumns.firstIndex(of: name) : Self.activityColumns.firstIndex(of: name)
    }

    /// The position of `name` in ``fields`` (its bit in a change-log mask), or nil.
    public func fieldIndex(_ name: String) -> Int? {
        // Ten names at most: comparing them beats hashing the name.
        self == .contacts ? Self.contactFields.firstIndex(of: name) : Self.activityFields.firstIndex(of: name)
    }

    /// The positions of ``fields`` in the order of their names: the order in which the binary
    /// format writes them.
    package var fieldIndicesByName: [Int] {
        self == .contacts ? Self.contactOrder : Self.activityOrder
    }

    private static let contactOrder = contactFields.indices.sorted { contactFields[$0] < contactFields[$1] }
    private static let activityOrder = activityFields.indices.sorted { activityFields[$0] < activityFields[$1] }

    /// The bit mask with every field set, as written for an INSERT.
    package var allFieldsMask: Int64 { (Int64(1) << Int64(fields.count)) - 1 }

    /// A one-byte code used by the binary encoding.
    var code: UInt8 {
        switch self {
        case .contacts: 1
        case .activities: 2
        }
    }

    init?(code: UInt8) {
        switch code {
        case 1: self = .contacts
        case 2: self = .activities
        default: return nil
        }
    }

    public var description: String { rawValue }
}
