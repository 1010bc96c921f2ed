import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SyncKernel
import SyncProtocol

/// The admin's routes (docs/protocol.md, "Admin"): the network's open conflicts, settling
/// them as the store's own write, and how each office keeps up. Only admin tokens
/// (`sync-server admin add`) are accepted; an office token is refused with 403.
struct AdminRoutes: Sendable {
    let store: any ServerStore
    let metrics: ServerMetrics
    let gatekeeper: Gatekeeper

    func register(on router: Router<SyncRequestContext>) {
        router.get("/v2/admin/conflicts") { request, context in
            _ = try await gatekeeper.admin(request, context)
            let conflicts = try await storeCall { try await store.conflicts(within: nil) }
            return try context.responseEncoder.encode(
                conflicts.map(ConflictReport.init), from: request, context: context)
        }
        router.get("/v2/admin/conflicts/:id") { request, context in
            _ = try await gatekeeper.admin(request, context)
            let id = try context.parameters.require("id")
            let conflict = try await storeCall { try await store.conflict(id: id, within: nil) }
            return try context.responseEncoder.encode(ConflictReport(conflict), from: request, context: context)
        }
        router.post("/v2/admin/conflicts/:id/resolve") { request, context in
            let admin = try await gatekeeper.admin(request, context)
            let id = try context.parameters.require("id")
            let body: ResolveRequest
            do {
                body = try await request.decode(as: ResolveRequest.self, context: context)
            } catch {
                throw APIError.badRequest(
                    "bad-request", "the body must be JSON: {\"decision\": ..., \"reason\": ...} (docs/protocol.md)")
            }
            let entry = try await storeCall {
                let conflict = try await store.conflict(id: id, within: nil)
                let decision = try body.decision(for: conflict.table)
                return try await store.resolve(id, decision, reason: body.reason, by: "admin:" + admin)
            }
            metrics.conflictResolved()
            context.logger.notice(
                "conflict settled by an admin", metadata: ["admin": "\(admin)", "decision": "\(entry.decision)"])
            return try context.responseEncoder.encode(entry, from: request, context: context)
        }
        router.get("/v2/admin/offices") { request, context in
            _ = try await gatekeeper.admin(request, context)
            let offices = try await storeCall { try await store.officeOverviews() }
            return try context.responseEncoder.encode(offices, from: request, context: context)
        }
    }

    private func storeCall<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SyncError where error.code == .notFound {
            throw APIError(status: .notFound, code: "not-found", message: error.message)
        } catch {
            throw APIError(store: error)
        }
    }
}
