import Foundation
import SyncCore
import SyncKernel
import SyncProtocol

/// The sync server a replica talks to, and the token that identifies its office there.
///
/// Tokens start with `qs_` (so they never look like a command-line option) and live in a
/// file of their own beside the replica, readable by the office's account only.
///
/// An `https://` server's certificate is verified against the system's trusted authorities,
/// or against the private authority in ``caFile``. Plain `http://` is refused for any host but
/// this machine's loopback unless ``allowInsecure`` is set: the token and personal data would
/// cross the network unencrypted.
public struct Remote: Sendable, Equatable {
    /// The server's base URL, e.g. `https://sync.example.org:8443`.
    public var serverURL: URL
    /// The office's bearer token.
    public var token: String
    /// A PEM file of the certificate authority that signed the server's certificate, for a
    /// private one; nil trusts the system's authorities.
    public var caFile: String?
    /// Whether plain HTTP to a host other than loopback was allowed explicitly.
    public var allowInsecure: Bool
    /// Whether the token is an admin's (`qsa_`): the client then speaks for an admin, who has
    /// no local edits waiting.
    public var isAdmin = false

    /// Checks and creates a remote: an https URL (or http to loopback, or with
    /// `allowInsecure`) and a `qs_` token (an office's), or with `admin` a `qsa_` token (an
    /// admin's).
    public init(
        server: String, token: String, admin: Bool = false, caFile: String? = nil, allowInsecure: Bool = false
    ) throws {
        let trimmed = server.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed.hasSuffix("/") ? String(trimmed.dropLast()) : trimmed),
            let scheme = url.scheme, ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty
        else {
            throw SyncError(.invalidInput, "'\(server)' is not a server URL: write it as https://HOST:PORT")
        }
        // A port out of range would trap deep in the network stack; a path, query or user
        // would be dropped or sent where the token does not belong.
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        if let port = components?.port, !(1...65535).contains(port) {
            throw SyncError(
                .invalidInput, "the port \(port) of '\(server)' does not exist: ports run from 1 to 65535",
                field: "server")
        }
        if !(components?.path ?? "").isEmpty || components?.query != nil || components?.fragment != nil
            || components?.user != nil
        {
            throw SyncError(
                .invalidInput,
                "'\(server)' has more than a server's address (a path, query or user): write it as https://HOST:PORT",
                field: "server")
        }
        if scheme == "http", !allowInsecure, !Wire.isLoopback(host) {
            throw SyncError(
                .invalidInput,
                "plain http:// to \(host) would send the office's token and personal data unencrypted: use https:// "
                    + "(trusting the server's private certificate authority if it has one), or allow plain HTTP explicitly",
                field: "allow-insecure")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw SyncError(.invalidInput, "the CA file \(caFile) is missing or unreadable", field: "ca-file")
        }
        self.caFile = caFile
        self.allowInsecure = allowInsecure
        self.isAdmin = admin
        let token = token.trimmingCharacters(in: .whitespacesAndNewlines)
        if admin {
            guard token.hasPrefix("qsa_"), token.count >= 20, !token.contains(where: \.isWhitespace) else {
                throw SyncError(
                    .invalidInput,
                    "that is not an admin token: admin tokens start with qsa_ and come from 'sync-server admin add NAME'"
                )
            }
        } else if !token.hasPrefix("qs_") || token.count < 20 || token.contains(where: \.isWhitespace) {
            throw SyncError(
                .invalidInput,
                "that is not an office token: tokens start with qs_; ask the server admin for the one printed when the office was registered"
            )
        }
        serverURL = url
        self.token = token
    }
}
