import Hummingbird
import Logging
import SyncKernel

/// Answers every error a route throws with the protocol's JSON error body (docs/protocol.md):
/// an ``APIError`` as it is, a store's ``SyncError`` by its code (``APIError/init(store:)``:
/// refused input 400, not found 404, busy 503, a full disk 503, anything else 500), and any
/// other error as a 500, logged by type (never with request data). Without it, such an error
/// would reach the client as a bare 500 with an empty body.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch let error as SyncError {
            let answer = APIError(answering: error)
            if answer.status.code >= 500 {
                context.logger.warning("the store failed", metadata: ["code": "\(error.code)"])
            }
            throw answer
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(type(of: error))"])
            throw APIError(answering: error)
        }
    }
}
