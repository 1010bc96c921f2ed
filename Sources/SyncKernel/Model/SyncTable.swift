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
    /// The audit trail of settled conflicts: which conflict, how it was decided, by which
    /// office, when and why. Replicated and scoped like the record it is about (its `quartier`
    /// is the record's); it holds no field value of the record.
    case resolutions
    /// Erasure orders (DSGVO Art. 17): which record was erased, when, by whom and why.
    /// Replicated and scoped like the erased record (its `quartier` is the record's); it holds
    /// no personal data.
    case erasures

    /// The columns merged field by field, in schema order. Their position is the bit of the
    /// column in a change-log `mask`, so new columns may only be appended.
    public var fields: [String] {
        switch self {
        case .contacts: Self.contactFields
        case .activities: Self.activityFields
        case .resolutions: Self.resolutionFields
        case .erasures: Self.erasureFields
        }
    }

    private static let contactFields = [
        "quartier", "name", "organisation", "role", "email", "phone", "notes", "consent_at", "created_at",
    ]
    private static let activityFields = [
        "quartier", "title", "description", "starts_at", "ends_at", "location", "handlungsfeld", "organiser_id",
        "status", "created_at",
    ]
    private static let resolutionFields = [
        "quartier", "conflict_id", "record_table", "record_id", "field", "decision", "chosen_office", "office",
        "reason", "resolved_at",
    ]

    private static let erasureFields = [
        "quartier", "record_table", "record_id", "ordered_by", "reason", "ordered_at",
    ]

    /// Fields that must hold a value for the row to be valid.
    public var requiredFields: Set<String> {
        switch self {
        case .contacts: Self.contactRequired
        case .activities: Self.activityRequired
        case .resolutions: Self.resolutionRequired
        case .erasures: Set(Self.erasureFields)
        }
    }

    private static let contactRequired: Set<String> = ["quartier", "name", "created_at"]
    private static let activityRequired: Set<String> = [
        "quartier", "title", "starts_at", "handlungsfeld", "status", "created_at",
    ]
    private static let resolutionRequired: Set<String> = [
        "quartier", "conflict_id", "record_table", "record_id", "field", "decision", "office", "reason",
        "resolved_at",
    ]

    /// One record of the table, in words: "contact", "activity" or "resolution".
    public var singular: String {
        switch self {
        case .contacts: "contact"
        case .activities: "activity"
        case .resolutions: "resolution"
        case .erasures: "erasure order"
        }
    }

    /// All columns a row has, `id` first and `updated_at` last.
    public var columns: [String] {
        switch self {
        case .contacts: Self.contactColumns
        case .activities: Self.activityColumns
        case .resolutions: Self.resolutionColumns
        case .erasures: Self.erasureColumns
        }
    }

    private static let contactColumns = ["id"] + contactFields + ["updated_at"]
    private static let activityColumns = ["id"] + activityFields + ["updated_at"]
    private static let resolutionColumns = ["id"] + resolutionFields + ["updated_at"]
    private static let erasureColumns = ["id"] + erasureFields + ["updated_at"]

    /// The position of `name` in ``columns``, or nil. A field's column is its position in
    /// ``fields`` plus one (`id` comes first).
    public func columnIndex(_ name: String) -> Int? {
        columns.firstIndex(of: name)
    }

    /// The position of `name` in ``fields`` (its bit in a change-log mask), or nil.
    public func fieldIndex(_ name: String) -> Int? {
        // Ten names at most: comparing them beats hashing the name.
        fields.firstIndex(of: name)
    }

    /// The positions of ``fields`` in the order of their names: the order in which the binary
    /// format writes them.
    package var fieldIndicesByName: [Int] {
        switch self {
        case .contacts: Self.contactOrder
        case .activities: Self.activityOrder
        case .resolutions: Self.resolutionOrder
        case .erasures: Self.erasureOrder
        }
    }

    private static let contactOrder = contactFields.indices.sorted { contactFields[$0] < contactFields[$1] }
    private static let activityOrder = activityFields.indices.sorted { activityFields[$0] < activityFields[$1] }
    private static let resolutionOrder = resolutionFields.indices.sorted {
        resolutionFields[$0] < resolutionFields[$1]
    }
    private static let erasureOrder = erasureFields.indices.sorted { erasureFields[$0] < erasureFields[$1] }

    /// The tables people edit (contacts and activities); the audit trail is written by the
    /// conflict desk only.
    public static let editable: [SyncTable] = [.contacts, .activities]

    /// The bit mask with every field set, as written for an INSERT.
    package var allFieldsMask: Int64 { (Int64(1) << Int64(fields.count)) - 1 }

    /// A one-byte code used by the binary encoding.
    package var code: UInt8 {
        switch self {
        case .contacts: 1
        case .activities: 2
        case .resolutions: 3
        case .erasures: 4
        }
    }

    init?(code: UInt8) {
        switch code {
        case 1: self = .contacts
        case 2: self = .activities
        case 3: self = .resolutions
        case 4: self = .erasures
        default: return nil
        }
    }

    public var description: String { rawValue }
}
