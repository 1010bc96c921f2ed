/// The JSON body of every answer that is not a success:
/// `{"error": {"code": "...", "message": "..."}}`.
///
/// The code is stable and meant for programs; the message says what happened and what to do,
/// for people, and never contains personal data.
public struct ErrorBody: Sendable, Codable, Equatable {
    /// The error's code and message.
    public struct Detail: Sendable, Codable, Equatable {
        /// A stable code, e.g. `unauthorized`, `malformed-batch`, `store-failed`.
        public var code: String
        /// What happened and what to do.
        public var message: String
    }

    /// The error.
    public var error: Detail

    /// Creates a body.
    public init(code: String, message: String) { error = Detail(code: code, message: message) }
}
