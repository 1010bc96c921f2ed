import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SyncKernel
import SyncProtocol

/// The admin's routes (docs/protocol.md, "Admin"): the network's open conflicts, settling
/// them as the store's own write, and how each office keeps up. Registered on a group behind
/// ``AdminAuthenticator``: only admin tokens (`sync-server admin add`) get here; an office
/// token is refused with 403.
struct AdminRoutes: Sendable {
    let store: any ServerStore
    let metrics: ServerMetrics

    func register(on admins: RouterGroup<SyncRequestContext>) {
        admins.get("conflicts") { request, context in
            let conflicts = try await store.conflicts(within: nil)
            return try context.responseEncoder.encode(
                conflicts.map(ConflictReport.init), from: request, context: context)
        }
        admins.get("conflicts/:id") { request, context in
            let id = try context.parameters.require("id")
            let conflict = try await store.conflict(id: id, within: nil)
            return try context.responseEncoder.encode(ConflictReport(conflict), from: request, context: context)
        }
        admins.post("conflicts/:id/resolve") { request, context in
            let admin = try context.admin
            let id = try context.parameters.require("id")
            let body: ResolveRequest
            do {
                body = try await request.decode(as: ResolveRequest.self, context: context)
            } catch {
                throw APIError.badRequest(
                    "bad-request", "the body must be JSON: {\"decision\": ..., \"reason\": ...} (docs/protocol.md)")
            }
            let conflict = try await store.conflict(id: id, within: nil)
            let decision = try body.decision(for: conflict.table)
            let entry = try await store.resolve(id, decision, reason: body.reason, by: "admin:" + admin)
            metrics.conflictResolved()
            context.logger.notice(
                "conflict settled by an admin", metadata: ["admin": "\(admin)", "decision": "\(entry.decision)"])
            return try context.responseEncoder.encode(entry, from: request, context: context)
        }
        admins.get("offices") { request, context in
            let offices = try await store.officeOverviews()
            return try context.responseEncoder.encode(offices, from: request, context: context)
        }
    }
}
