import SyncKernel

/// What applying a batch did.
public struct ApplySummary: Sendable, Equatable {
    /// States received.
    public var received = 0
    /// States that changed nothing here (already known: duplicates, replays, echoes).
    public var alreadyKnown = 0
    /// States that replaced the local one or were new here.
    public var fastForwarded = 0
    /// Concurrent states merged without a conflict.
    public var merged = 0
    /// Concurrent states that left a conflict.
    public var conflicted = 0
    /// States that changed this store and carry an open conflict (however it came about:
    /// merged here, or merged upstream and fast-forwarded here).
    public var withOpenConflicts = 0
    /// Records that left this office's scope and were removed from it.
    public var evicted = 0
    /// Records queued to be pushed back: this store knew writes the sender had not seen.
    public var pushedBack = 0
    /// Pushed states a server refused, each alone: they break a rule (`StateValidator`) or
    /// the pushing office may not write them (`WriteScope`); nothing of them was stored.
    public var refused: [StateRefusal] = []
    /// Records erased here by this batch (erased states new to this store): their values are
    /// gone from the states; the store then removes every other copy (``StateStore`` scrubs).
    public var erased: [RecordKey] = []

    /// Creates an empty summary.
    public init() {}

    /// Adds another summary's counts.
    public mutating func add(_ other: ApplySummary) {
        received += other.received
        alreadyKnown += other.alreadyKnown
        fastForwarded += other.fastForwarded
        merged += other.merged
        conflicted += other.conflicted
        withOpenConflicts += other.withOpenConflicts
        evicted += other.evicted
        pushedBack += other.pushedBack
        refused += other.refused
        erased += other.erased
    }
}
