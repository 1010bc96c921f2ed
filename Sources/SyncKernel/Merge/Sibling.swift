/// One concurrent version of a field: the value, the write that produced it, and when.
///
/// A field normally has one sibling. Two writes that did not see each other leave two
/// siblings: if their values differ, that is a conflict until a later write covers both.
public struct Sibling<Value: Hashable & Sendable>: Hashable, Sendable {
    /// The value written.
    public var value: Value
    /// The write that produced it.
    public var dot: Dot
    /// The writer's hybrid clock at the time; orders the provisional winner.
    public var time: HybridTimestamp
    /// For a field: the value the writer's table showed before this write (`nil`: unknown, or
    /// the write created the record). Two competing writes that replaced the same value name
    /// their common ancestor, which the three-way view of a conflict shows. Erased with the
    /// record, like the value.
    public var replaced: FieldValue?

    /// Creates a sibling.
    public init(value: Value, dot: Dot, time: HybridTimestamp, replaced: FieldValue? = nil) {
        self.value = value
        self.dot = dot
        self.time = time
        self.replaced = replaced
    }

    /// Deterministic order for the provisional winner: later time, then larger dot.
    @inlinable
    package func precedes(_ other: Sibling) -> Bool {
        (time, dot) < (other.time, other.dot)
    }
}

extension Array {
    /// The provisional winner among siblings: the latest by hybrid time, ties by dot.
    @inlinable
    package func provisionalWinner<V>() -> Sibling<V>? where Element == Sibling<V> {
        self.max { $0.precedes($1) }
    }
}

extension Array where Element == Sibling<FieldValue> {
    /// The version of a field the table shows: the latest (by hybrid time, ties by dot) among
    /// the versions that still hold a value; the latest erased one only when none does.
    ///
    /// A value its own writer deleted afterwards is erased (it must not outlive the delete), but
    /// it is no value anybody chose: it never hides a concurrent value another store still
    /// holds. A field shows NULL only when its latest held value is NULL or every version is
    /// erased. The same state gives the same answer on every store.
    @inlinable
    package func shown() -> Sibling<FieldValue>? {
        var best: Sibling<FieldValue>?
        for sibling in self {
            guard let current = best else {
                best = sibling
                continue
            }
            let holds = sibling.value != .erased
            let currentHolds = current.value != .erased
            if holds != currentHolds {
                if holds { best = sibling }
            } else if current.precedes(sibling) {
                best = sibling
            }
        }
        return best
    }
}
