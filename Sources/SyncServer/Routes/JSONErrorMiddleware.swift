import Hummingbird
import Logging
import SyncKernel

/// Answers every error a route did not turn into an ``APIError`` with the protocol's JSON error
/// body and a 500, and logs it (by type, never with request data). Without it, such an error
/// would reach the client as a bare 500 with an empty body.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(type(of: error))"])
            throw APIError(store: error)
        }
    }
}
