import Foundation
import SyncKernel
import SyncProtocol

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The admin's requests (docs/protocol.md, "Admin"), with an admin token as the remote's token.
extension SyncClient {
    /// `GET /v2/admin/conflicts`: every open conflict of the network.
    public func adminConflicts() async throws -> [ConflictReport] {
        try await decode(request(path: "/v2/admin/conflicts", method: "GET", authorised: true))
    }

    /// `GET /v2/admin/conflicts/{id}`: one conflict's three-way view.
    public func adminConflict(id: String) async throws -> ConflictReport {
        try await decode(request(path: "/v2/admin/conflicts/\(id)", method: "GET", authorised: true))
    }

    /// `POST /v2/admin/conflicts/{id}/resolve`: the server settles the conflict as its own write.
    public func adminResolve(id: String, _ body: ResolveRequest) async throws -> Resolution {
        var request = request(path: "/v2/admin/conflicts/\(id)/resolve", method: "POST", authorised: true)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONEncoder().encode(body)
        return try await decode(request)
    }

    /// `GET /v2/admin/offices`: how every office keeps up.
    public func adminOffices() async throws -> [OfficeOverview] {
        try await decode(request(path: "/v2/admin/offices", method: "GET", authorised: true))
    }

    private func decode<T: Decodable>(_ request: URLRequest) async throws -> T {
        let (data, _) = try await send(request)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw SyncError(.serverError, "the server's answer is not understood: is it another version?")
        }
    }
}
