import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SyncKernel
import SyncProtocol

/// The admin's requests (docs/protocol.md, "Admin"), with an admin token as the remote's token.
extension SyncClient {
    /// `GET /v2/admin/conflicts`: every open conflict of the network.
    public func adminConflicts() async throws -> [ConflictReport] {
        try await decodeJSON(request(path: "/v2/admin/conflicts", method: .GET, authorised: true))
    }

    /// `GET /v2/admin/conflicts/{id}`: one conflict's three-way view.
    public func adminConflict(id: String) async throws -> ConflictReport {
        try await decodeJSON(request(path: "/v2/admin/conflicts/\(id)", method: .GET, authorised: true))
    }

    /// `POST /v2/admin/conflicts/{id}/resolve`: the server settles the conflict as its own write.
    public func adminResolve(id: String, _ body: ResolveRequest) async throws -> Resolution {
        var request = request(path: "/v2/admin/conflicts/\(id)/resolve", method: .POST, authorised: true)
        request.headers.add(name: "Content-Type", value: "application/json")
        return try await decodeJSON(request, body: Array(try JSONEncoder().encode(body)))
    }

    /// `GET /v2/admin/offices`: how every office keeps up.
    public func adminOffices() async throws -> [OfficeOverview] {
        try await decodeJSON(request(path: "/v2/admin/offices", method: .GET, authorised: true))
    }

    private func decodeJSON<T: Decodable>(_ request: HTTPClientRequest, body: [UInt8]? = nil) async throws -> T {
        let (data, _) = try await send(request, body: body)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw SyncError(.serverError, "the server's answer is not understood: is it another version?")
        }
    }
}

/// The admin's requests about a person's data (docs/data-protection.md).
extension SyncClient {
    /// `GET /v2/admin/erasures`: every erasure order, with the offices confirmed and outstanding.
    public func adminErasures() async throws -> [ErasureStatus] {
        try await decodeJSON(request(path: "/v2/admin/erasures", method: .GET, authorised: true))
    }

    /// `POST /v2/admin/erasures`: the server erases the record everywhere as its own write.
    public func adminErase(_ body: EraseRequest) async throws -> ErasureOrder {
        var request = request(path: "/v2/admin/erasures", method: .POST, authorised: true)
        request.headers.add(name: "Content-Type", value: "application/json")
        return try await decodeJSON(request, body: Array(try JSONEncoder().encode(body)))
    }

    /// `GET /v2/admin/retention`: the retention rules and what they make due now.
    public func adminRetention() async throws -> RetentionReport {
        try await decodeJSON(request(path: "/v2/admin/retention", method: .GET, authorised: true))
    }

    /// `PUT /v2/admin/retention`: replaces the retention rules (JSON, checked by the server).
    public func adminSetRetention(_ rules: Data) async throws -> RetentionReport {
        var request = request(path: "/v2/admin/retention", method: .PUT, authorised: true)
        request.headers.add(name: "Content-Type", value: "application/json")
        return try await decodeJSON(request, body: Array(rules))
    }

    /// `POST /v2/admin/retention/apply`: erases every record due now.
    public func adminApplyRetention(reason: String) async throws -> [ErasureOrder] {
        var request = request(path: "/v2/admin/retention/apply", method: .POST, authorised: true)
        request.headers.add(name: "Content-Type", value: "application/json")
        return try await decodeJSON(request, body: Array(try JSONEncoder().encode(RetentionApply(reason: reason))))
    }

    /// `POST /v2/admin/subjects/report`: what the network holds about a person.
    public func adminSubjectReport(_ query: SubjectQuery) async throws -> SubjectReport {
        var request = request(path: "/v2/admin/subjects/report", method: .POST, authorised: true)
        request.headers.add(name: "Content-Type", value: "application/json")
        return try await decodeJSON(request, body: Array(try JSONEncoder().encode(query)))
    }
}
