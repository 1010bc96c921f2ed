/// Who a request comes from: set once on the request's context by the authenticator of its
/// route group (``OfficeAuthenticator``, ``AdminAuthenticator``), from the bearer token.
public enum Caller: Sendable, Equatable {
    /// An office, with its registered name and Quartiere.
    case office(Office)
    /// An admin, by the name it was registered with.
    case admin(String)
}
