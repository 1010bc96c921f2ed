import SyncKernel

extension ReplicaID {
    /// Fixed replica ids for hand-built states.
    public static let a = ReplicaID(rawValue: "aaaaaaaa-0000-4000-8000-000000000001")
    /// See ``a``.
    public static let b = ReplicaID(rawValue: "bbbbbbbb-0000-4000-8000-000000000002")
    /// See ``a``.
    public static let c = ReplicaID(rawValue: "cccccccc-0000-4000-8000-000000000003")
}
