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
        admins.get("erasures") { request, context in
            try context.responseEncoder.encode(try await store.erasures(), from: request, context: context)
        }
        admins.post("erasures") { request, context in
            let admin = try context.admin
            let body: EraseRequest
            do {
                body = try await request.decode(as: EraseRequest.self, context: context)
            } catch {
                throw APIError.badRequest(
                    "bad-request", "the body must be JSON: {\"id\": ..., \"reason\": ...} (docs/protocol.md)")
            }
            let order = try await store.erase(
                RecordKey(body.table ?? .contacts, body.id), reason: body.reason, by: admin)
            // The order's id and table only: the record id is no value, but the reason may be.
            context.logger.notice(
                "record erased by an admin", metadata: ["admin": "\(admin)", "order": "\(order.id)"])
            return try context.responseEncoder.encode(order, from: request, context: context)
        }
        admins.post("subjects/report") { request, context in
            let admin = try context.admin
            let body: SubjectQuery
            do {
                body = try await request.decode(as: SubjectQuery.self, context: context)
            } catch {
                throw APIError.badRequest(
                    "bad-request", "the body must be JSON: {\"id\"|\"email\"|\"phone\": ...} (docs/protocol.md)")
            }
            guard body.id != nil || body.email != nil || body.phone != nil else {
                throw APIError.badRequest("bad-request", "say whom the report is about: id, email or phone")
            }
            let report = try await store.subjectReport(id: body.id, email: body.email, phone: body.phone)
            context.logger.notice(
                "subject report made", metadata: ["admin": "\(admin)", "records": "\(report.records.count)"])
            return try context.responseEncoder.encode(report, from: request, context: context)
        }
        admins.get("retention") { request, context in
            try context.responseEncoder.encode(try await store.retention(), from: request, context: context)
        }
        admins.put("retention") { request, context in
            let admin = try context.admin
            let body = try await request.body.collect(upTo: 1 << 20)
            let rules = try RetentionRules.parse(Data(body.readableBytesView))
            try await store.setRetention(rules)
            context.logger.notice(
                "retention rules set", metadata: ["admin": "\(admin)", "rules": "\(rules.rules.count)"])
            return try context.responseEncoder.encode(try await store.retention(), from: request, context: context)
        }
        admins.post("retention/apply") { request, context in
            let admin = try context.admin
            let body: RetentionApply
            do {
                body = try await request.decode(as: RetentionApply.self, context: context)
            } catch {
                throw APIError.badRequest("bad-request", "the body must be JSON: {\"reason\": ...} (docs/protocol.md)")
            }
            let orders = try await store.applyRetention(reason: body.reason, by: admin)
            context.logger.notice("retention applied", metadata: ["admin": "\(admin)", "erased": "\(orders.count)"])
            return try context.responseEncoder.encode(orders, from: request, context: context)
        }
        admins.get("offices") { request, context in
            let offices = try await store.officeOverviews()
            return try context.responseEncoder.encode(offices, from: request, context: context)
        }
    }
}
