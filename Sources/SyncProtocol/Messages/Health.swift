/// What `GET /v1/health` answers.
public struct Health: Sendable, Codable, Equatable {
    /// `ok` when the server can serve syncs.
    public var status: String
    /// The protocol version the server speaks (``Wire/version``).
    public var protocolVersion: Int
    /// The server store's id: pull cursors are kept per store.
    public var storeId: String

    /// Creates an answer.
    public init(status: String = "ok", protocolVersion: Int = Wire.version, storeId: String) {
        self.status = status
        self.protocolVersion = protocolVersion
        self.storeId = storeId
    }

    enum CodingKeys: String, CodingKey {
        case status
        case protocolVersion = "protocol"
        case storeId
    }
}
