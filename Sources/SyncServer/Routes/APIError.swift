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

    /// Maps a SyncCore error to a status: the client's fault is 4xx, the store's is 5xx.
    init(_ error: SyncError) {
        switch error.code {
        case .corruptData: self.init(status: .badRequest, code: "malformed-batch", message: error.message)
        case .invalidInput, .rejected: self.init(status: .badRequest, code: error.code.name, message: error.message)
        default:
            self.init(
                status: .serviceUnavailable, code: "store-unavailable",
                message: "the server store failed; try again later")
        }
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
