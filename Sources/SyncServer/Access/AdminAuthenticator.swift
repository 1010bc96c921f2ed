import Hummingbird

/// The middleware in front of every admin route: finds the admin by its bearer token
/// (``Gatekeeper``; an office token is refused with 403) and sets it as the request's
/// ``Caller``.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = SyncRequestContext

    let gatekeeper: Gatekeeper

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let admin = try await gatekeeper.admin(request, context)
        var context = context
        context.caller = .admin(admin)
        return try await next(request, context)
    }
}
