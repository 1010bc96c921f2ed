import Foundation
import SyncCore
import SyncKernel
import SyncProtocol

/// The sync server a replica talks to, and the token that identifies its office there.
///
/// Tokens start with `qs_` (so they never look like a command-line option) and are stored in
/// the replica file; keep the file readable by the office's account only.
public struct Remote: Sendable, Equatable {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    public var serverURL: URL
    /// The office's bearer token.
    public var token: String

    /// Checks and creates a remote: an http(s) URL and a `qs_` token (an office's), or with
    /// `admin` a `qsa_` token (an admin's).
    public init(server: String, token: String, admin: Bool = false) throws {
        let trimmed = server.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed.hasSuffix("/") ? String(trimmed.dropLast()) : trimmed),
            let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else {
            throw SyncError(.invalidInput, "'\(server)' is not a server URL: write it as http://HOST:PORT")
        }
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
