import Crypto
import Foundation
import SyncKernel

/// Tokens: `qs_` (offices) or `qsa_` (admins) and 43 characters of base64url (256 random
/// bits). Only the SHA-256 of a token is stored, so a copy of the server store does not let
/// anyone sync as an office.
enum OfficeToken {
    /// The prefix of an office's token.
    static let officePrefix = "qs_"
    /// The prefix of an admin's token.
    static let adminPrefix = "qsa_"

    /// A new random token, shown once to the admin.
    static func generate(prefix: String = officePrefix) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + base64
    }

    /// The hex SHA-256 of a token, as stored.
    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
