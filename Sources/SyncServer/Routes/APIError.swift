import Foundation
import HTTPTypes
import Hummingbird
import SyncKernel
import SyncProtocol

/// An error answered as JSON: `{"error": {"code": "...", "message": "..."}}` with a status that
/// fits. Messages say what to do and never contain personal data.
public struct APIError: HTTPResponseError {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The stable code (``ErrorBody/Detail/code``).
    public var code: String
    /// What happened and what to do.
    public var message: String
    /// Seconds to wait before trying again (`Retry-After`), for 429 and 503 answers.
    public var retryAfter: Int?

    static func unauthorized(_ message: String) -> APIError {
        APIError(status: .unauthorized, code: "unauthorized", message: message)
    }

    static func badRequest(_ code: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: code, message: message)
    }

    /// Maps an error of the server store to a status: input the store refused is the
    /// client's fault (400); a busy or locked database is worth retrying (503); anything else
    /// is the store's failure (500). Messages name no value, only what to do.
    init(store error: any Error) {
        switch (error as? SyncError)?.code {
        case .notFound?:
            self.init(
                status: .notFound, code: "not-found", message: (error as? SyncError)?.message ?? "not found")
        case .invalidInput?, .missingField?, .rejected?:
            let message = (error as? SyncError)?.message ?? "the request was refused"
            self.init(status: .badRequest, code: (error as! SyncError).code.name, message: message)
        case .unauthorized?:
            self.init(
                status: .forbidden, code: "replica-of-another-office",
                message: (error as? SyncError)?.message ?? "this replica belongs to another office")
        case .busy?:
            self.init(
                status: .serviceUnavailable, code: "store-unavailable",
                message: "the server store is busy or cannot write; try again later")
        case .storage?:
            // A full or failing disk is the server's trouble, not the office's: nothing was
            // stored, the office's changes stay pending, and reads still work.
            self.init(
                status: .serviceUnavailable, code: "storage-unavailable",
                message: "the server cannot write its store (its disk is full or failing): nothing was stored; "
                    + "try again later, and tell the server admin", retryAfter: 60)
        default:
            self.init(
                status: .internalServerError, code: "store-failed",
                message: "the server store failed; try again later, and tell the server admin if it persists")
        }
    }

    /// The answer to `error`: itself when it is one, else as the store's error
    /// (``init(store:)``). The one mapping of errors to answers, used by
    /// ``JSONErrorMiddleware``.
    init(answering error: any Error) {
        if let answer = error as? APIError {
            self = answer
        } else {
            self.init(store: error)
        }
    }

    /// The answer to a push body that is not a batch.
    static func malformedBatch(_ error: SyncError) -> APIError {
        APIError(status: .badRequest, code: "malformed-batch", message: error.message)
    }

    init(status: HTTPResponse.Status, code: String, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(
            ErrorBody(code: code, message: message), from: request, context: context)
        response.status = status
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}
