/// The identity of one write: the replica that made it and that replica's counter at the time.
///
/// Every local statement that changes a record gets the replica's next dot; all fields the
/// statement changed share it. Dots are what the merge kernel compares to decide whether one
/// write has seen another (see ``VersionVector/covers(_:)``).
public struct Dot: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The replica that made the write.
    public var replica: ReplicaID
    /// The replica's write counter, starting at 1.
    public var counter: UInt64

    /// Creates a dot.
    public init(replica: ReplicaID, counter: UInt64) {
        self.replica = replica
        self.counter = counter
    }

    /// Orders dots by replica, then counter; only used to make choices deterministic.
    @inlinable
    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.replica, lhs.counter) < (rhs.replica, rhs.counter)
    }

    public var description: String { "\(replica.rawValue):\(counter)" }
}
