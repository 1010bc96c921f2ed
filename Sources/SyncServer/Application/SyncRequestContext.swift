import Hummingbird
import NIOCore

/// The context of a request to the sync server: Hummingbird's core context, the address the
/// request came from (for slowing down repeated failed logins; never logged with data), and
/// who is asking once the route group's authenticator has checked the token.
public struct SyncRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address; nil in in-process tests.
    public let remoteAddress: SocketAddress?
    /// Who is asking; nil until an authenticator has run.
    public var caller: Caller?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The office the request comes from; only on routes behind ``OfficeAuthenticator``.
    var office: Office {
        get throws {
            guard case .office(let office) = caller else {
                throw APIError.unauthorized("send the office token as 'Authorization: Bearer qs_…'")
            }
            return office
        }
    }

    /// The admin the request comes from; only on routes behind ``AdminAuthenticator``.
    var admin: String {
        get throws {
            guard case .admin(let name) = caller else {
                throw APIError.unauthorized("send an admin token as 'Authorization: Bearer qsa_…'")
            }
            return name
        }
    }
}
