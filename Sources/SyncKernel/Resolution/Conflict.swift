/// An open conflict: one field of one record (or the record's existence) holds concurrent
/// versions with different values.
///
/// Conflicts are derived from record states, so every store that holds the same state lists the
/// same conflicts with the same ids. A conflict closes when a write that has seen all versions
/// arrives (a resolution), wherever it was made.
public struct Conflict: Hashable, Sendable, Identifiable {
    /// The pseudo-field name used when a delete competes with an edit.
    public static let existenceField = "(exists)"

    /// One competing version.
    public struct Version: Hashable, Sendable {
        /// The value (`nil` for NULL; for existence, `"deleted"` or `"exists"`).
        public var value: String?
        /// The write that produced it.
        public var dot: Dot
        /// The writer's hybrid time.
        public var time: HybridTimestamp
        /// The office whose replica made the write, where known.
        public var office: String?
        /// The value the write replaced where its writer knew it (`nil`: unknown, or the write
        /// created the record; `.some(nil)`: it replaced an empty field).
        public var replaced: String??
        /// Whether the writer deleted the record afterwards, before its write was settled: the
        /// value is gone (a delete keeps no personal data), `value` is `nil`, and the table
        /// shows it only when no competing version holds a value.
        public var erased: Bool = false
    }

    /// What competes.
    public enum Kind: String, Sendable, Codable {
        /// Two offices wrote different values into one field.
        case field
        /// One office deleted the record while another edited it.
        case deleteVersusEdit = "delete-versus-edit"
    }

    /// Stable id derived from the record, field and competing writes.
    public var id: String
    /// The table of the record.
    public var table: SyncTable
    /// The record's id.
    public var recordID: String
    /// The contested column, or ``existenceField``.
    public var field: String
    /// The record's Quartier (its route; `*` for shared records): who may see and settle it.
    public var quartier: String?
    /// The competing versions, oldest first (by hybrid time, ties by dot).
    public var versions: [Version]
    /// The value both sides started from, where known: for a three-way view. `nil` = unknown.
    public var ancestor: String??

    /// The version currently shown in the table: the latest that still holds a value, or the
    /// latest of all when every one was erased (the rule of `shown()` on a field's versions).
    public var provisionalWinner: Version { versions.last { !$0.erased } ?? versions[versions.count - 1] }

    /// Whether a field or the record's existence is contested.
    public var kind: Kind { field == Self.existenceField ? .deleteVersusEdit : .field }

    /// Since when the conflict exists: the time of the second write (a conflict needs two).
    public var since: HybridTimestamp { versions[min(1, versions.count - 1)].time }

    /// The offices (or, where unknown, replica ids) whose writes compete, in order of the writes.
    public var offices: [String] {
        var names: [String] = []
        for version in versions {
            let name = version.office ?? version.dot.replica.rawValue
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// The open conflicts of `state`, with office names looked up in `offices`.
    public static func conflicts(in state: RecordState, offices: [ReplicaID: String]) -> [Conflict] {
        var result: [Conflict] = []
        if state.hasDeleteConflict {
            let versions = state.alive.map {
                Version(
                    value: $0.value ? "exists" : "deleted", dot: $0.dot, time: $0.time, office: offices[$0.dot.replica])
            }
            result.append(make(state, existenceField, versions))
        }
        for field in state.conflictingFields {
            let versions = state.fields[field]!.map {
                Version(
                    value: $0.value.text, dot: $0.dot, time: $0.time, office: offices[$0.dot.replica],
                    replaced: $0.replaced.flatMap { $0 == .erased ? nil : .some($0.text) },
                    erased: $0.value == .erased)
            }
            var conflict = make(state, field, versions)
            // The common ancestor: the value every competing write replaced, when they agree.
            let replaced = Set(versions.map(\.replaced))
            if replaced.count == 1, let only = replaced.first, let known = only { conflict.ancestor = .some(known) }
            result.append(conflict)
        }
        return result
    }

    private static func make(_ state: RecordState, _ field: String, _ versions: [Version]) -> Conflict {
        var hasher = StableHasher()
        hasher.combine(state.table.rawValue)
        hasher.combine(state.id)
        hasher.combine(field)
        for version in versions { hasher.combine(version.dot.description) }
        return Conflict(
            id: "c-" + hasher.hexDigest(), table: state.table, recordID: state.id, field: field,
            quartier: state.route, versions: versions, ancestor: nil)
    }
}

/// FNV-1a, 64 bit: the same on every platform and run (unlike `Hasher`).
struct StableHasher {
    private var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ text: String) {
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        hash ^= 0xff
        hash = hash &* 0x100_0000_01b3
    }

    func hexDigest() -> String {
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
