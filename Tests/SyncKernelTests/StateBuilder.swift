@testable import SyncKernel

/// Builds record states by hand: a write is (replica, counter) and its time is the counter
/// in seconds, so a higher counter is later.
func dot(_ replica: ReplicaID, _ counter: UInt64) -> Dot { Dot(replica: replica, counter: counter) }
func time(_ counter: UInt64, _ replica: ReplicaID) -> HybridTimestamp {
    HybridTimestamp(milliseconds: Int64(counter) * 1000, logical: replica == .a ? 0 : 1)
}

func contact(
    id: String = "c1", _ context: [ReplicaID: UInt64], alive: [(Bool, ReplicaID, UInt64)] = [],
    _ fields: [String: [(String?, ReplicaID, UInt64)]]
) -> RecordState {
    var state = RecordState(table: .contacts, id: id, context: VersionVector(context))
    state.alive = alive.map { Sibling(value: $0.0, dot: dot($0.1, $0.2), time: time($0.2, $0.1)) }
    for (field, siblings) in fields {
        state.fields[field] = siblings.map {
            Sibling(value: FieldValue($0.0), dot: dot($0.1, $0.2), time: time($0.2, $0.1))
        }
    }
    MergeKernel.normalise(&state)
    return state
}
