import Hummingbird

/// The middleware in front of every office route: finds the office by its bearer token
/// (``Gatekeeper``), sets it as the request's ``Caller``, and runs the request within the
/// office's share of the server (``OfficeAllowance``): beyond it, 429 `slow-down` with
/// `Retry-After`, before any work.
struct OfficeAuthenticator: RouterMiddleware {
    typealias Context = SyncRequestContext

    let gatekeeper: Gatekeeper
    let allowance: OfficeAllowance
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let office = try await gatekeeper.office(request, context)
        var context = context
        context.caller = .office(office)
        if let wait = await allowance.admit(office.name) {
            metrics.slowedDown(office: office.name)
            throw APIError(
                status: .tooManyRequests, code: "slow-down",
                message:
                    "this office has more requests running or started this minute than the server allows one office: try again in \(wait)s",
                retryAfter: wait)
        }
        do {
            let response = try await next(request, context)
            await allowance.finished(office.name)
            return response
        } catch {
            await allowance.finished(office.name)
            throw error
        }
    }
}
