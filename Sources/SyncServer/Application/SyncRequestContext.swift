import Hummingbird
import NIOCore

/// The context of a request to the sync server: Hummingbird's core context and the address
/// the request came from (for slowing down repeated failed logins; never logged with data).
public struct SyncRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address; nil in in-process tests.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
