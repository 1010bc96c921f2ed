import SyncCore
import SyncKernel
import SyncProtocol

extension Session {
    /// What the server holds, as ``Replica/recover(from:peer:force:)`` takes it.
    public var serverKnowledge: Replica.ServerKnowledge {
        Replica.ServerKnowledge(
            knowledge: VersionVector(
                Dictionary(uniqueKeysWithValues: knowledge.map { (ReplicaID(rawValue: $0.key), $0.value) })),
            acknowledged: acknowledged, head: head)
    }
}
