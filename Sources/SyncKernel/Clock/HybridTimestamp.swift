/// A hybrid logical clock reading: wall-clock milliseconds plus a logical counter.
///
/// Timestamps never go backwards on one replica, and a replica that receives a remote
/// timestamp moves its clock past it, so a later write (in causal order) always has a larger
/// timestamp even when wall clocks disagree. QuartierSync uses them only to pick the
/// *provisional* winner among concurrent values, never to decide causality (dots do that).
public struct HybridTimestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z, as far as the clock knew.
    public var milliseconds: Int64
    /// Breaks ties between readings in the same millisecond.
    public var logical: UInt32

    /// Creates a reading.
    public init(milliseconds: Int64, logical: UInt32 = 0) {
        self.milliseconds = milliseconds
        self.logical = logical
    }

    /// How far ahead of a store's own clock a received time may lie: 24 hours. A server
    /// refuses a state with a later time; a replica never moves its clock further ahead.
    public static let maxSkewMilliseconds: Int64 = 86_400_000

    /// The largest logical counter a received time may carry (2^24): more writes in one
    /// millisecond than any office makes, far from the 32-bit field's end.
    public static let maxLogical: UInt32 = 1 << 24

    /// The zero timestamp, earlier than every real reading.
    public static let zero = HybridTimestamp(milliseconds: 0)

    @inlinable
    public static func < (lhs: HybridTimestamp, rhs: HybridTimestamp) -> Bool {
        (lhs.milliseconds, lhs.logical) < (rhs.milliseconds, rhs.logical)
    }

    /// The next local reading given the wall clock `now` (milliseconds).
    public func tick(now: Int64) -> HybridTimestamp {
        now > milliseconds
            ? HybridTimestamp(milliseconds: now)
            : HybridTimestamp(milliseconds: milliseconds, logical: logical == .max ? logical : logical + 1)
    }

    /// The clock after receiving `remote`: never behind it, never behind itself.
    public func receiving(_ remote: HybridTimestamp) -> HybridTimestamp { Swift.max(self, remote) }

    public var description: String { "\(milliseconds).\(logical)" }
}
