import Hummingbird
import SyncProtocol

/// Who is asking: the bearer token of every office and admin route, checked against the
/// store (which keeps only SHA-256 hashes of tokens, so a lookup compares hashes and says
/// nothing about how close a guess was). Office routes take only office tokens, admin routes
/// only admin tokens; a revoked token fails on its next request. An address that keeps
/// failing is answered 429 for a while (``FailedLogins``).
struct Gatekeeper: Sendable {
    let store: any ServerStore
    let failures: FailedLogins

    init(store: any ServerStore, failedLoginLimit: Int, failedLoginWindow: Double) {
        self.store = store
        failures = FailedLogins(limit: failedLoginLimit, window: failedLoginWindow)
    }

    /// The office whose token the request carries; 401 without one, 403 for an admin token.
    func office(_ request: Request, _ context: SyncRequestContext) async throws -> Office {
        try await identify(
            request, context, hint: "send the office token as 'Authorization: Bearer qs_…'",
            as: { try await store.office(forToken: $0) }, otherRole: { try await store.admin(forToken: $0) != nil },
            forbidden: "an admin token cannot sync: use an office's token ('sync-server office add')",
            unknown: "unknown or revoked token: ask the server admin for a new one")
    }

    /// The admin whose token the request carries; 401 without one, 403 for an office token.
    func admin(_ request: Request, _ context: SyncRequestContext) async throws -> String {
        try await identify(
            request, context, hint: "send an admin token as 'Authorization: Bearer qsa_…'",
            as: { try await store.admin(forToken: $0) }, otherRole: { try await store.office(forToken: $0) != nil },
            forbidden: "an office token cannot use admin endpoints: ask the server admin for an admin token",
            unknown: "unknown or revoked admin token: create one with 'sync-server admin add NAME'")
    }

    /// Who the token belongs to in the role the route wants (`as`); 403 when it belongs to the
    /// other role, 401 (counted as a failure) when to nobody.
    private func identify<Who: Sendable>(
        _ request: Request, _ context: SyncRequestContext, hint: String,
        as role: (String) async throws -> Who?, otherRole: (String) async throws -> Bool,
        forbidden: String, unknown: String
    ) async throws -> Who {
        let token = try await bearer(request, context, hint: hint)
        if let who = try await role(token) { return who }
        if try await otherRole(token) {
            throw APIError(status: .forbidden, code: "forbidden", message: forbidden)
        }
        throw await refused(context, unknown)
    }

    private func bearer(_ request: Request, _ context: SyncRequestContext, hint: String) async throws -> String {
        let address = Self.address(context)
        if let wait = await failures.wait(for: address) {
            throw APIError(
                status: .tooManyRequests, code: "too-many-failures",
                message: "too many requests with a wrong token from this address: try again in \(wait)s",
                retryAfter: wait)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw await refused(context, hint)
        }
        let token = header.dropFirst("Bearer ".count).trimmingCharacters(in: .whitespaces)
        // A token is ASCII of a bounded length: anything else cannot match and is not hashed.
        guard (1...256).contains(token.utf8.count), token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw await refused(context, hint)
        }
        return token
    }

    private func refused(_ context: SyncRequestContext, _ message: String) async -> APIError {
        await failures.failed(Self.address(context))
        return APIError.unauthorized(message)
    }

    private static func address(_ context: SyncRequestContext) -> String {
        context.remoteAddress?.ipAddress ?? "local"
    }
}
