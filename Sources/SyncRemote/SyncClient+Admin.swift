import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SyncKernel
import SyncProtocol

/// The admin's requests (docs/protocol.md, "Admin"), with an admin token as the remote's token.
extension SyncClient {
    /// `GET /v2/admin/conflicts`: every open conflict of the network.
    public func adminConflicts() async throws -> [ConflictReport] {
        try await decode(request(path: "/v2/admin/conflicts", method: .GET, authorised: true))
    }

    /// `GET /v2/admin/conflicts/{id}`: one conflict's three-way view.
    public func adminConflict(id: String) async throws -> ConflictReport {
        try await decode(request(path: "/v2/admin/conflicts/\(id)", method: .GET, authorised: true))
    }

    /// `POST /v2/admin/conflicts/{id}/resolve`: the server settles the conflict as its own write.
    public func adminResolve(id: String, _ body: ResolveRequest) async throws -> Resolution {
        var request = request(path: "/v2/admin/conflicts/\(id)/resolve", method: .POST, authorised: true)
        request.headers.add(name: "Content-Type", value: "application/json")
        return try await decode(request, body: Array(try JSONEncoder().encode(body)))
    }

    /// `GET /v2/admin/offices`: how every office keeps up.
    public func adminOffices() async throws -> [OfficeOverview] {
        try await decode(request(path: "/v2/admin/offices", method: .GET, authorised: true))
    }

    private func decode<T: Decodable>(_ request: HTTPClientRequest, body: [UInt8]? = nil) async throws -> T {
        let (data, _) = try await send(request, body: body)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw SyncError(.serverError, "the server's answer is not understood: is it another version?")
        }
    }
}
