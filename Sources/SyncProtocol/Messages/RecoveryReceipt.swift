/// What `POST /v2/recovery` answers: the server's recovery epoch after the report.
public struct RecoveryReceipt: Sendable, Codable, Equatable {
    /// The new epoch; every office that sees it in its session sends what it holds again.
    public var epoch: Int64

    /// Creates a receipt.
    public init(epoch: Int64) { self.epoch = epoch }
}
