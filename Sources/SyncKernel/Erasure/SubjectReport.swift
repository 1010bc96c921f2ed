import Foundation

/// What is held about one person (DSGVO Art. 15): every record that holds them — their
/// contact, activities naming them as organiser — with every field's value, who wrote it and
/// when, which offices hold it, the conflicts and audit entries about it, and the erasure
/// orders. As JSON (this type) or as a document an admin can hand over (``markdown``).
public struct SubjectReport: Sendable, Codable, Equatable {
    /// One version of a field: its value, which office wrote it and when.
    public struct Version: Sendable, Codable, Equatable {
        /// The value (nil: empty).
        public var value: String?
        /// The office (or `admin:NAME`, or the server) whose write it is.
        public var writtenBy: String
        /// When it was written (ISO 8601, UTC, from the writer's clock).
        public var writtenAt: String
        /// The value the writer's table showed before, where known.
        public var replaced: String?

        /// Creates a version.
        public init(value: String?, writtenBy: String, writtenAt: String, replaced: String?) {
            self.value = value
            self.writtenBy = writtenBy
            self.writtenAt = writtenAt
            self.replaced = replaced
        }
    }

    /// One field of a record: what the table shows, and every version held (two or more: a
    /// conflict).
    public struct Field: Sendable, Codable, Equatable {
        /// The column.
        public var name: String
        /// The value shown.
        public var value: String?
        /// Every version held.
        public var versions: [Version]

        /// Creates a field.
        public init(name: String, value: String?, versions: [Version]) {
            self.name = name
            self.value = value
            self.versions = versions
        }
    }

    /// One record holding the person.
    public struct Record: Sendable, Codable, Equatable {
        /// The table.
        public var table: SyncTable
        /// The record's id.
        public var id: String
        /// Why it is in the report: `the person's record` or `names the person as organiser`.
        public var relation: String
        /// The record's Quartier.
        public var quartier: String?
        /// Whether the record exists (false: deleted or erased; then no values are held).
        public var exists: Bool
        /// Whether it was erased under an erasure order.
        public var erased: Bool
        /// The offices that hold it.
        public var heldBy: [String]
        /// Every field with a value or a version.
        public var fields: [Field]
        /// The fields with more than one value held (open conflicts).
        public var conflicts: [String]

        /// Creates a record.
        public init(
            table: SyncTable, id: String, relation: String, quartier: String?, exists: Bool, erased: Bool,
            heldBy: [String], fields: [Field], conflicts: [String]
        ) {
            self.table = table
            self.id = id
            self.relation = relation
            self.quartier = quartier
            self.exists = exists
            self.erased = erased
            self.heldBy = heldBy
            self.fields = fields
            self.conflicts = conflicts
        }
    }

    /// The contact ids the report is about.
    public var subjects: [String]
    /// Where it was made (an office's name, or `sync-server`), and when (ISO 8601, UTC).
    public var madeBy: String
    /// When it was made.
    public var madeAt: String
    /// Every record that holds the person.
    public var records: [Record]
    /// Audit entries about those records (settled conflicts).
    public var auditEntries: [Resolution]
    /// Erasure orders about those records.
    public var erasureOrders: [ErasureOrder]

    /// Creates a report.
    public init(
        subjects: [String], madeBy: String, madeAt: String, records: [Record], auditEntries: [Resolution],
        erasureOrders: [ErasureOrder]
    ) {
        self.subjects = subjects
        self.madeBy = madeBy
        self.madeAt = madeAt
        self.records = records
        self.auditEntries = auditEntries
        self.erasureOrders = erasureOrders
    }

    /// The report as a Markdown document to hand over.
    public var markdown: String {
        var lines = [
            "# Information about the data held (Art. 15 DSGVO)", "",
            "Made by \(madeBy) on \(madeAt), for the record(s) \(subjects.joined(separator: ", ")).", "",
        ]
        if records.isEmpty { lines += ["No record holding this person was found.", ""] }
        for record in records {
            lines += ["## \(record.table.singular.capitalized) \(record.id) (\(record.relation))", ""]
            lines.append("- Quartier: \(record.quartier ?? "none")")
            lines.append("- Held by: \(record.heldBy.isEmpty ? "no office" : record.heldBy.joined(separator: ", "))")
            if record.erased {
                lines.append("- Erased under an erasure order: no values are held any more.")
            } else if !record.exists {
                lines.append("- Deleted: no values are held any more.")
            }
            if !record.conflicts.isEmpty {
                lines.append("- Open conflicts: \(record.conflicts.joined(separator: ", "))")
            }
            if !record.fields.isEmpty {
                lines += ["", "| Field | Value | Written by | When |", "|---|---|---|---|"]
                for field in record.fields {
                    for version in field.versions {
                        lines.append(
                            "| \(field.name) | \(Self.cell(version.value)) | \(version.writtenBy) | \(version.writtenAt) |"
                        )
                    }
                }
            }
            lines.append("")
        }
        if !auditEntries.isEmpty {
            lines += ["## Settled conflicts", ""]
            for entry in auditEntries {
                lines.append(
                    "- \(entry.resolvedAt): \(entry.field) of \(entry.table.singular) \(entry.recordId), "
                        + "\(entry.decision) by \(entry.office): \(entry.reason)")
            }
            lines.append("")
        }
        if !erasureOrders.isEmpty {
            lines += ["## Erasure orders", ""]
            for order in erasureOrders {
                lines.append(
                    "- \(order.orderedAt): \(order.table.singular) \(order.recordId) by \(order.orderedBy): \(order.reason)"
                )
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    private static func cell(_ value: String?) -> String {
        guard let value else { return "(empty)" }
        return value.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
