/// Everything a store knows about one record: its causal context, whether it exists, and the
/// concurrent versions of each field.
///
/// This is what stores exchange: a change is the whole state of one record (never a diff), so
/// applying it twice, late, or out of order is harmless, and the per-record version vector
/// stays contiguous. The values shown in the table are derived from it
/// (see ``visibleRecord``).
public struct RecordState: Hashable, Sendable {
    /// The table the record lives in.
    public var table: SyncTable
    /// The record's id (text UUID).
    public var id: String
    /// Every write to this record that this state has seen.
    public var context: VersionVector
    /// Existence as its own register: `true` siblings come from inserts and edits, `false`
    /// ones from deletes. The record is visible while any sibling says it exists.
    public var alive: [Sibling<Bool>]
    /// Concurrent versions of each field, by column.
    public var fields: FieldRegisters
    /// The latest `updated_at` seen (ISO 8601 text); merges to the maximum.
    public var updatedAt: String?
    /// Whether the record was erased under an erasure order (DSGVO Art. 17): the state keeps
    /// its id, its version vector, its route and existence versions that all say "gone", and
    /// nothing else. Erasure absorbs: a state merged with an erased one is erased, whatever it
    /// held, so no late edit, old copy or restored backup brings the record back
    /// (see ``erase(dot:time:)``).
    public var isErased = false

    /// Creates a state.
    public init(
        table: SyncTable, id: String, context: VersionVector = VersionVector(),
        alive: [Sibling<Bool>] = [], fields: [String: [Sibling<FieldValue>]] = [:],
        updatedAt: String? = nil
    ) {
        self.table = table
        self.id = id
        self.context = context
        self.alive = alive
        self.fields = FieldRegisters(table: table, fields)
        self.updatedAt = updatedAt
    }

    /// Creates a state from registers already by column.
    public init(
        id: String, context: VersionVector, alive: [Sibling<Bool>], fields: FieldRegisters, updatedAt: String?
    ) {
        self.table = fields.table
        self.id = id
        self.context = context
        self.alive = alive
        self.fields = fields
        self.updatedAt = updatedAt
    }

    /// The field that routes a record: the offices of its Quartier (or every office, for `*`)
    /// must hear of it. A Quartier name is not personal data, so a delete keeps this field's
    /// values (see ``MergeKernel/eraseIfDeleted(_:)``): a tombstone still says where it must go.
    public static let routingField = "quartier"

    /// The Quartier whose offices hold this record: the provisional value of `quartier`, kept
    /// through deletes. `nil` only for a state that never carried one.
    public var route: String? { fields[index: Self.routingFieldIndex].shown()?.value.text }

    /// The position of ``routingField`` in every table's fields.
    public static let routingFieldIndex = 0

    /// Whether the record shows in its table: some version says it exists.
    public var isVisible: Bool { !isErased && alive.contains { $0.value } }

    /// Whether existence itself is contested: a delete concurrent with an edit.
    public var hasDeleteConflict: Bool { isVisible && alive.contains { !$0.value } }

    /// The row as the table shows it: the id, the provisional value of each field (the latest
    /// version that still holds a value, see `shown()` on a field's versions; NULL where unknown or
    /// where every version was erased) and `updated_at`.
    public var visibleRecord: RecordValues {
        var record = RecordValues(table)
        record[column: 0] = id
        for index in table.fields.indices {
            record[column: index + 1] = fields[index: index].shown()?.value.text
        }
        record[column: table.columns.count - 1] = updatedAt
        return record
    }

    /// Whether the state is as the merge kernel leaves it: siblings in canonical order, and no
    /// values kept where the record does not exist (but its route). Stores only ever hold and
    /// send such states.
    package var isCanonical: Bool {
        func ordered<V>(_ siblings: [Sibling<V>]) -> Bool {
            siblings.count < 2 || zip(siblings, siblings.dropFirst()).allSatisfy { $0.precedes($1) }
        }
        guard ordered(alive) else { return false }
        if isErased {
            return !alive.contains(where: \.value)
                && table.fields.indices.allSatisfy { $0 == Self.routingFieldIndex || fields[index: $0].isEmpty }
        }
        let visible = isVisible
        // By position, not by name: this runs for every state a store receives.
        for index in table.fields.indices {
            let siblings = fields[index: index]
            guard !siblings.isEmpty else { continue }
            guard ordered(siblings) else { return false }
            if !visible && index != Self.routingFieldIndex
                && siblings.contains(where: { $0.value != .erased || ($0.replaced ?? .erased) != .erased })
            {
                return false
            }
        }
        return true
    }

    /// Fields whose siblings hold more than one distinct value: the open conflicts. A deleted
    /// record has none (only its route keeps values, and nobody sees it).
    public var conflictingFields: [String] {
        guard isVisible else { return [] }
        var contested: [String] = []
        for (field, siblings) in fields where siblings.count > 1 {
            let first = siblings[0].value
            if siblings.contains(where: { $0.value != first }) { contested.append(field) }
        }
        return contested.count > 1 ? contested.sorted() : contested
    }

    /// Records a local write: the fields whose bits are set in `mask` (bit `i`: field `i` of
    /// ``SyncTable/fields``, as in a change-log entry) take their values from `row` at `dot`,
    /// each remembering the value it replaced, and existence becomes `exists`. A delete drops
    /// every field value but the route, and keeps the dots. The new versions cover every
    /// version this state held, so a write to a contested field resolves it, whatever its value.
    /// With `keepsReplaced` false, the new versions remember no replaced value: the one before
    /// was never accepted anywhere (a refused change), so it is no ancestor anybody else knows.
    public mutating func write(
        dot: Dot, time: HybridTimestamp, exists: Bool, mask: Int64, row: RecordValues?, keepsReplaced: Bool = true
    ) {
        context.add(dot)
        alive = [Sibling(value: exists, dot: dot, time: time)]
        for index in table.fields.indices where mask & (1 << Int64(index)) != 0 {
            let before = keepsReplaced ? fields[index: index].shown()?.value : nil
            fields[index: index] = [
                Sibling(value: FieldValue(row?[column: index + 1]), dot: dot, time: time, replaced: before)
            ]
        }
        if !exists { eraseValues() }
        if isErased {
            // A row written over an erased record's id is absorbed: the write's dot says "gone".
            alive = [Sibling(value: false, dot: dot, time: time)]
            dropErasedValues()
        }
    }

    /// Erases the record under an erasure order, as a write at `dot`: every value and every
    /// version of every field goes but the route (a Quartier, which says where the erasure
    /// must travel), existence says "gone", and the version vector covers the erasure. What
    /// remains is the id, the dots and the fact of erasure.
    public mutating func erase(dot: Dot, time: HybridTimestamp) {
        context.add(dot)
        alive = [Sibling(value: false, dot: dot, time: time)]
        isErased = true
        dropErasedValues()
    }

    /// What an erased state keeps: the route's versions and the existence versions that say
    /// "gone". An existence version that says "exists" goes (the version vector still covers
    /// its dot): turning it into "gone" under the same dot would contradict the store that
    /// holds it (a server refuses such a `conflicting-dot`).
    mutating func dropErasedValues() {
        for index in table.fields.indices where index != Self.routingFieldIndex {
            fields[index: index] = []
        }
        if alive.contains(where: \.value) {
            let gone = alive.filter { !$0.value }
            // Never without an existence version: keep the latest, as "gone" (unreachable
            // through erase and write, which always leave one).
            alive =
                gone.isEmpty
                ? alive.provisionalWinner().map { [Sibling(value: false, dot: $0.dot, time: $0.time)] } ?? [] : gone
        }
    }

    /// Drops every field value but the route, keeping the dots: what a tombstone holds.
    mutating func eraseValues() {
        for index in table.fields.indices where index != Self.routingFieldIndex && !fields[index: index].isEmpty {
            fields[index: index] = fields[index: index].map {
                Sibling(value: .erased, dot: $0.dot, time: $0.time, replaced: $0.replaced == nil ? nil : .erased)
            }
        }
    }

    /// The largest hybrid time of any write in this state.
    package var latestTime: HybridTimestamp {
        var latest = HybridTimestamp.zero
        for sibling in alive where sibling.time > latest { latest = sibling.time }
        for siblings in fields.values {
            for sibling in siblings where sibling.time > latest { latest = sibling.time }
        }
        return latest
    }
}
