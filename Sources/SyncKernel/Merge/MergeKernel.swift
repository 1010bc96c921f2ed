/// The pure merge of two states of one record. No I/O: the replica and the server share it.
///
/// The rule, per field and for existence (a multi-value register with a causal context):
/// a version survives unless the other side has *seen* its write (its context covers the dot)
/// and no longer holds it, which means the other side wrote over it. Hence:
/// - an incoming state the local one already covers changes nothing (`alreadyKnown`), so
///   applying a change twice or late is safe;
/// - an incoming state that covers the local one replaces it (`fastForward`);
/// - concurrent states keep, field by field, every version the other has not overwritten:
///   fields written on one side only merge silently; a field written on both sides keeps both
///   values (a conflict), and the table shows the latest by hybrid time that still holds a
///   value (a value its writer deleted afterwards never hides one another store holds), the
///   same everywhere.
///
/// The merge is commutative, associative and idempotent, so stores converge whatever order and
/// however often they exchange states.
public enum MergeKernel {
    /// What a merge did, from the point of view of the store that held `local`.
    public enum Outcome: Sendable, Equatable {
        /// The incoming state was already known: nothing changed.
        case alreadyKnown
        /// The incoming state had seen everything local had (or the record was new here).
        case fastForward
        /// Concurrent writes merged without a conflict.
        case merged
        /// Concurrent writes left at least one contested field or a delete against an edit.
        case conflicted
    }

    /// The merged state and what the merge did.
    public struct Result: Sendable, Equatable {
        /// The state to store.
        public var state: RecordState
        /// How it came about.
        public var outcome: Outcome
    }

    /// Merges `incoming` into `local` (nil when the record is unknown here).
    public static func merge(local: RecordState?, incoming: RecordState) -> Result {
        guard let local else {
            var state = incoming
            normalise(&state)
            eraseIfDeleted(&state)
            return Result(state: state, outcome: .fastForward)
        }
        var merged = join(local, incoming)
        eraseIfDeleted(&merged)
        if merged == local { return Result(state: merged, outcome: .alreadyKnown) }
        if local.context.isDominated(by: incoming.context) {
            return Result(state: merged, outcome: .fastForward)
        }
        let contested = merged.hasDeleteConflict || !merged.conflictingFields.isEmpty
        return Result(state: merged, outcome: contested ? .conflicted : .merged)
    }

    /// The least state that includes both: the lattice join (commutative, associative,
    /// idempotent). Stores do not keep its result as it is: ``merge(local:incoming:)`` then
    /// drops the values of a record nobody says exists (see ``eraseIfDeleted(_:)``).
    public static func join(_ a: RecordState, _ b: RecordState) -> RecordState {
        precondition(a.table == b.table && a.id == b.id, "join of two different records")
        var state = RecordState(table: a.table, id: a.id)
        state.context = a.context.merging(b.context)
        state.alive = mergeSiblings(a.alive, a.context, b.alive, b.context) { x, _ in x }
        for index in a.table.fields.indices {
            let left = a.fields[index: index]
            let right = b.fields[index: index]
            if left.isEmpty && right.isEmpty { continue }
            state.fields[index: index] = mergeSiblings(left, a.context, right, b.context) { $0.joined(with: $1) }
        }
        state.updatedAt = max(a.updatedAt ?? "", b.updatedAt ?? "").nilIfEmpty
        // Erasure absorbs: whatever the other side held or wrote since, the join is erased.
        if a.isErased || b.isErased {
            state.isErased = true
            state.dropErasedValues()
        }
        normalise(&state)
        return state
    }

    /// Keeps every version the other side has not overwritten; versions of the same write
    /// are joined with `joinValue`.
    static func mergeSiblings<V>(
        _ left: [Sibling<V>], _ leftContext: VersionVector,
        _ right: [Sibling<V>], _ rightContext: VersionVector,
        joinValue: (V, V) -> V
    ) -> [Sibling<V>] {
        var kept: [Sibling<V>] = []
        kept.reserveCapacity(max(left.count, right.count))
        for sibling in left {
            if let twin = right.first(where: { $0.dot == sibling.dot }) {
                kept.append(
                    Sibling(
                        value: joinValue(sibling.value, twin.value), dot: sibling.dot, time: sibling.time,
                        replaced: FieldValue.joined(sibling.replaced, twin.replaced)))
            } else if !rightContext.covers(sibling.dot) {
                kept.append(sibling)
            }
        }
        for sibling in right where !leftContext.covers(sibling.dot) {
            if !left.contains(where: { $0.dot == sibling.dot }) { kept.append(sibling) }
        }
        if kept.count > 1 { kept.sort { $0.precedes($1) } }
        return kept
    }

    /// A record nobody says exists keeps no values: a tombstone holds dots only. This step is
    /// not part of the join (it forgets), so a store that still holds a value another store
    /// dropped sends it back (a replica pushes back what it knew better; see the SyncCore module), and a record revived by
    /// a concurrent edit regains every value some store still holds.
    public static func eraseIfDeleted(_ state: inout RecordState) {
        if !state.isVisible { state.eraseValues() }
    }

    /// Puts siblings in their canonical order, so equal states compare equal.
    /// (``RecordState/isCanonical`` says whether this and ``eraseIfDeleted(_:)`` would change
    /// anything.)
    static func normalise(_ state: inout RecordState) {
        for index in state.table.fields.indices where state.fields[index: index].count > 1 {
            state.fields[index: index].sort { $0.precedes($1) }
        }
        if state.alive.count > 1 { state.alive.sort { $0.precedes($1) } }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
