import Foundation
import SyncKernel

/// One open conflict as `syncctl conflicts list|show --json` prints it and as the server's
/// admin endpoints send it: the three-way view (the common ancestor where known, each
/// competing version with its office and time, the value the tables show now).
public struct ConflictReport: Sendable, Codable, Equatable {
    /// One competing write.
    public struct Version: Sendable, Codable, Equatable {
        /// The value written (`nil`: empty; for a delete against an edit, `exists` or `deleted`).
        public var value: String?
        /// The office that wrote it, where known.
        public var office: String?
        /// The replica that wrote it, and its counter: the write's dot.
        public var replicaId: String
        public var counter: UInt64
        /// When (ISO 8601, UTC, by the writer's hybrid clock).
        public var time: String
        /// The value it replaced, where its writer knew it.
        public var replaced: String?
        /// Whether `replaced` is known (a replaced empty value is `replaced: null, replacedKnown: true`).
        public var replacedKnown: Bool
        /// Whether the office deleted the record after writing this (so `value` is gone, not
        /// empty): taking this version leaves the field empty.
        public var erased: Bool
        enum CodingKeys: String, CodingKey {
            case value, office, replicaId, counter, time, replaced, replacedKnown, erased
        }
    }

    public var id: String
    /// `field`, or `delete-versus-edit`.
    public var kind: Conflict.Kind
    public var table: String
    public var recordId: String
    public var field: String
    /// The Quartier of the record (`*` for shared records).
    public var quartier: String?
    /// The offices whose writes compete.
    public var offices: [String]
    /// Since when the conflict exists (the second write's time).
    public var since: String
    /// The value the tables show now (the provisional winner).
    public var shown: String?
    /// The value both sides started from, where some store knows it.
    public var ancestor: String?
    /// Whether `ancestor` is known (an empty ancestor is `ancestor: null, ancestorKnown: true`).
    public var ancestorKnown: Bool
    /// The competing writes, oldest first.
    public var versions: [Version]

    /// The position in `versions` of the one the tables show: the latest that still holds a
    /// value, or the latest of all when every one was erased.
    public var shownIndex: Int {
        versions.lastIndex { !$0.erased } ?? versions.count - 1
    }

    /// The report of `conflict`.
    public init(_ conflict: Conflict) {
        id = conflict.id
        kind = conflict.kind
        table = conflict.table.rawValue
        recordId = conflict.recordID
        field = conflict.field
        quartier = conflict.quartier
        offices = conflict.offices
        since = Self.iso(conflict.since)
        shown = conflict.provisionalWinner.value
        ancestor = conflict.ancestor ?? nil
        ancestorKnown = conflict.ancestor != nil
        versions = conflict.versions.map {
            Version(
                value: $0.value, office: $0.office, replicaId: $0.dot.replica.rawValue, counter: $0.dot.counter,
                time: Self.iso($0.time), replaced: $0.replaced ?? nil, replacedKnown: $0.replaced != nil,
                erased: $0.erased)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        // Empty values are written as null rather than left out: a consumer sees every key.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(table, forKey: .table)
        try container.encode(recordId, forKey: .recordId)
        try container.encode(field, forKey: .field)
        try container.encode(quartier, forKey: .quartier)
        try container.encode(offices, forKey: .offices)
        try container.encode(since, forKey: .since)
        try container.encode(shown, forKey: .shown)
        try container.encode(ancestor, forKey: .ancestor)
        try container.encode(ancestorKnown, forKey: .ancestorKnown)
        try container.encode(versions, forKey: .versions)
    }

    /// A hybrid time as ISO 8601 text with milliseconds.
    public static func iso(_ time: HybridTimestamp) -> String {
        let date = Date(timeIntervalSince1970: Double(time.milliseconds) / 1000)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension ConflictReport.Version {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(value, forKey: .value)
        try container.encode(office, forKey: .office)
        try container.encode(replicaId, forKey: .replicaId)
        try container.encode(counter, forKey: .counter)
        try container.encode(time, forKey: .time)
        try container.encode(replaced, forKey: .replaced)
        try container.encode(replacedKnown, forKey: .replacedKnown)
        try container.encode(erased, forKey: .erased)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        value = try container.decodeIfPresent(String.self, forKey: .value)
        office = try container.decodeIfPresent(String.self, forKey: .office)
        replicaId = try container.decode(String.self, forKey: .replicaId)
        counter = try container.decode(UInt64.self, forKey: .counter)
        time = try container.decode(String.self, forKey: .time)
        replaced = try container.decodeIfPresent(String.self, forKey: .replaced)
        replacedKnown = try container.decode(Bool.self, forKey: .replacedKnown)
        // Servers before this field said nothing of erased versions.
        erased = try container.decodeIfPresent(Bool.self, forKey: .erased) ?? false
    }
}
