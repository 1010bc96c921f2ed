/// A map from replica to the highest counter of that replica's writes that have been seen.
///
/// Each record carries one as its causal context. A vector *covers* a dot when it has seen it;
/// one vector is ≤ another when it covers nothing the other has not seen. Vectors form a
/// join-semilattice under ``merging(_:)`` (commutative, associative, idempotent), which is what
/// lets replicas exchange states in any order, any number of times, and still agree.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    /// The largest counter a store accepts from outside (2^53): no replica writes that
    /// often, and every counter stays exact in a signed 64-bit column and in JSON.
    public static let maxCounter: UInt64 = 1 << 53

    /// Counters by replica; a missing replica means 0.
    public private(set) var counters: [ReplicaID: UInt64]

    /// The empty vector: has seen nothing.
    public init() { counters = [:] }

    /// A vector from explicit counters; zero entries are dropped.
    public init(_ counters: [ReplicaID: UInt64]) {
        self.counters = counters.filter { $0.value > 0 }
    }

    /// The counter seen for `replica` (0 when none).
    public subscript(replica: ReplicaID) -> UInt64 {
        get { counters[replica] ?? 0 }
        set { counters[replica] = newValue == 0 ? nil : newValue }
    }

    /// Whether the write identified by `dot` has been seen.
    public func covers(_ dot: Dot) -> Bool { self[dot.replica] >= dot.counter }

    /// Records that `dot` (and, for its replica, every earlier dot) has been seen.
    public mutating func add(_ dot: Dot) {
        if self[dot.replica] < dot.counter { self[dot.replica] = dot.counter }
    }

    /// The least vector that covers both: the entry-wise maximum.
    public func merging(_ other: VersionVector) -> VersionVector {
        var result = self
        for (replica, counter) in other.counters where result[replica] < counter {
            result[replica] = counter
        }
        return result
    }

    /// Whether every write seen by `self` was also seen by `other`.
    public func isDominated(by other: VersionVector) -> Bool {
        counters.allSatisfy { other[$0.key] >= $0.value }
    }

    /// How two vectors relate in the causal partial order.
    public func compare(_ other: VersionVector) -> CausalOrder {
        let below = isDominated(by: other)
        let above = other.isDominated(by: self)
        switch (below, above) {
        case (true, true): return .equal
        case (true, false): return .before
        case (false, true): return .after
        case (false, false): return .concurrent
        }
    }

    public var description: String {
        "{"
            + counters.sorted { $0.key < $1.key }.map { "\($0.key.rawValue.prefix(8)):\($0.value)" }
            .joined(separator: ", ") + "}"
    }
}

/// The relation between two version vectors.
public enum CausalOrder: Sendable, Equatable {
    /// Both have seen exactly the same writes.
    case equal
    /// The left side has seen a strict subset of the right side's writes.
    case before
    /// The left side has seen a strict superset of the right side's writes.
    case after
    /// Each has seen a write the other has not.
    case concurrent
}
