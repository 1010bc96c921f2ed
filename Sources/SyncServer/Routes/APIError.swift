import Foundation
import HTTPTypes
import Hummingbird
import SyncCore

/// An error answered as JSON: `{"error": {"code": "...", "message": "..."}}` with a status that
/// fits. Messages say what to do and never contain personal data.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var code: String
    var message: String

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
        case .invalidInput?, .rejected?:
            let message = (error as? SyncError)?.message ?? "the request was refused"
            self.init(status: .badRequest, code: (error as! SyncError).code.name, message: message)
        case .database?:
            self.init(
                status: .serviceUnavailable, code: "store-unavailable",
                message: "the server store is busy or cannot write; try again later")
        default:
            self.init(
                status: .internalServerError, code: "store-failed",
                message: "the server store failed; try again later, and tell the server admin if it persists")
        }
    }

    /// The answer to a push body that is not a batch.
    static func malformedBatch(_ error: SyncError) -> APIError {
        APIError(status: .badRequest, code: "malformed-batch", message: error.message)
    }

    init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = #"{"error": {"code": "\#(code)", "message": \#(Self.quote(message))}}"#
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func quote(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
