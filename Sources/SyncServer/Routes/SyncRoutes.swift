import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SyncKernel
import SyncProtocol

/// The protocol's routes (docs/protocol.md): `/v1/health`; `/v2/session`, `/v2/recovery`, `/v2/push`
/// and `/v2/pull` under an office's bearer token; the admin's routes (``AdminRoutes``); `/metrics`.
public struct SyncRoutes: Sendable {
    let store: any ServerStore
    /// Limits and the failed-login slowdown.
    let configuration: ServerConfiguration
    /// The largest request body accepted, compressed or not.
    var maxBodyBytes: Int { configuration.maxBodyBytes }
    /// The largest page a client may ask for.
    let maxPageSize = 5000
    /// What the server counts (`GET /metrics`).
    let metrics: ServerMetrics
    /// Checks tokens.
    let gatekeeper: Gatekeeper
    /// Shares the server between offices.
    let allowance: OfficeAllowance

    /// Routes answering from `store` within the limits of `configuration`.
    public init(store: any ServerStore, configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics()) {
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        gatekeeper = Gatekeeper(
            store: store, failedLoginLimit: configuration.failedLoginLimit,
            failedLoginWindow: configuration.failedLoginWindow)
        allowance = OfficeAllowance(
            concurrent: configuration.officeConcurrency, perMinute: configuration.officeRequestsPerMinute)
    }

    /// Adds the routes, the admin's routes, `/metrics`, and the middleware that answers every
    /// error as JSON, to `router`.
    public func register(on router: Router<SyncRequestContext>) {
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.get("/v1/health") { request, context in
            try context.responseEncoder.encode(Health(storeId: store.storeID), from: request, context: context)
        }
        router.get("/metrics") { _, _ in
            if let erasures = try? await store.erasures() { metrics.erasures(erasures) }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        // Every office route behind the office's token and share of the server; every admin
        // route behind an admin token. Handlers read who asks from the context.
        let offices = router.group("v2").add(
            middleware: OfficeAuthenticator(gatekeeper: gatekeeper, allowance: allowance, metrics: metrics))
        offices.get("session") { request, context in try await session(try context.office, request, context) }
        offices.post("recovery") { request, context in try await recovery(try context.office, request, context) }
        offices.post("push") { request, context in
            try await noting(context) { office in try await push(office, request, context) }
        }
        offices.get("erasures") { request, context in
            let everywhere = request.uri.queryParameters["everywhere"] == "1"
            let batch = try await store.outstandingErasures(for: try context.office, everywhere: everywhere)
            var headers = HTTPFields()
            headers[.contentType] = Wire.batchMediaType
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: batch.encoded())))
        }
        offices.get("pull") { request, context in
            try await noting(context) { office in try await pull(office, request, context) }
        }
        AdminRoutes(store: store, metrics: metrics).register(
            on: router.group("v2/admin").add(middleware: AdminAuthenticator(gatekeeper: gatekeeper)))
    }

    private func session(_ office: Office, _ request: Request, _ context: SyncRequestContext) async throws
        -> Response
    {
        let replica = try Self.replica(request)
        let session = try await store.session(for: office, replica: replica)
        await note(.started, of: office, context)
        return try context.responseEncoder.encode(session, from: request, context: context)
    }

    /// Runs an office's push or pull; a failure is noted as the office's last result and
    /// counted.
    private func noting(_ context: SyncRequestContext, _ body: (Office) async throws -> Response) async throws
        -> Response
    {
        let office = try context.office
        do {
            return try await body(office)
        } catch {
            let answer = APIError(answering: error)
            metrics.sync(of: office.name, result: "failed")
            await note(.failed(answer.code), of: office, context)
            throw answer
        }
    }

    /// Notes an office's progress for the admin's overview; a failure to note is logged, never
    /// the request's failure.
    private func note(_ event: SyncEvent, of office: Office, _ context: SyncRequestContext) async {
        do {
            try await store.note(event, of: office)
        } catch {
            context.logger.warning("could not note an office's sync", metadata: ["office": "\(office.name)"])
        }
    }

    private func recovery(_ office: Office, _ request: Request, _ context: SyncRequestContext) async throws
        -> Response
    {
        let (epoch, raised) = try await store.reportRecovery(from: office)
        if raised {
            context.logger.notice(
                "an office found that the store had lost data; every office sends what it holds again",
                metadata: ["office": "\(office.name)", "epoch": "\(epoch)"])
        } else {
            context.logger.warning(
                "an office reported lost data again within the recovery interval; the epoch stays (a second restore so soon, or a misused token)",
                metadata: ["office": "\(office.name)", "epoch": "\(epoch)"])
        }
        return try context.responseEncoder.encode(RecoveryReceipt(epoch: epoch), from: request, context: context)
    }

    /// The replica named by the `QuartierSync-Replica` header, if any.
    static func replica(_ request: Request) throws -> ReplicaID? {
        guard let value = request.headers[HTTPField.Name(Wire.replicaHeader)!] else { return nil }
        guard !value.isEmpty, value.count <= 64, value.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw APIError.badRequest("bad-replica", "\(Wire.replicaHeader) must be the replica's id (a UUID)")
        }
        return ReplicaID(rawValue: value.lowercased())
    }

    func push(_ office: Office, _ request: Request, _ context: SyncRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            throw APIError(
                status: .contentTooLarge, code: "too-large",
                message: "a push may carry at most \(maxBodyBytes) bytes: send smaller batches")
        }
        var bytes = Array(body.readableBytesView)
        if request.headers[.contentEncoding]?.lowercased() == "gzip" { bytes = try gunzip(bytes) }
        let batch: ChangeBatch
        do {
            batch = try ChangeBatch(encoded: bytes)
        } catch let error as SyncError {
            throw APIError.malformedBatch(error)
        }
        guard batch.records.count + batch.evictions.count <= configuration.maxStatesPerBatch else {
            throw APIError(
                status: .contentTooLarge, code: "too-many-states",
                message: "a push may carry at most \(configuration.maxStatesPerBatch) states: send smaller batches")
        }
        // A state that breaks a rule is refused alone, in the receipt (by id and rule, never by
        // value); refusing the whole push would stop the office's every later sync.
        let validator = StateValidator(
            maxFieldLength: configuration.maxFieldLength, now: Int64(Date().timeIntervalSince1970 * 1000))
        let key = request.headers[HTTPField.Name(Wire.idempotencyHeader)!]
        let replica = try Self.replica(request)
        let receipt = try await store.push(batch, key: key, from: office, replica: replica, validator: validator)
        metrics.received(receipt.received, conflicts: receipt.conflicts ?? 0)
        let refused = receipt.refused?.count ?? 0
        if refused > 0 { metrics.refused(refused) }
        context.logger.info(
            "push",
            metadata: [
                "office": "\(office.name)", "received": "\(receipt.received)", "stored": "\(receipt.stored)",
                "refused": "\(refused)",
            ])
        if refused > 0 {
            context.logger.warning(
                "an office pushed changes that break a rule or touch records outside its Quartiere; they were refused",
                metadata: ["office": "\(office.name)", "refused": "\(refused)"])
        }
        return try context.responseEncoder.encode(receipt, from: request, context: context)
    }

    func pull(_ office: Office, _ request: Request, _ context: SyncRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let since = Int64(parameters["since"].map(String.init) ?? "0"), since >= 0 else {
            throw APIError.badRequest("bad-cursor", "since must be a cursor the server returned, or 0")
        }
        guard let limit = Int(parameters["limit"].map(String.init) ?? "500"), (1...maxPageSize).contains(limit) else {
            throw APIError.badRequest("bad-limit", "limit must be between 1 and \(maxPageSize)")
        }
        let page = try await store.pull(since: since, limit: limit, for: office)
        context.logger.debug("pull", metadata: ["office": "\(office.name)", "records": "\(page.count)"])
        metrics.sent(page.count)
        if !page.hasMore {
            metrics.sync(of: office.name, result: "ok")
            // The office holds its Quartiere's records up to `since`: a record moved there may
            // now leave the office that moved it.
            await note(.pulledToEnd(page.cursor, holds: since), of: office, context)
        }
        var headers = HTTPFields()
        headers[.contentType] = Wire.batchMediaType
        var buffer = ByteBuffer(bytes: page.bytes)
        if request.headers[.acceptEncoding]?.lowercased().contains("gzip") == true {
            buffer = try Wire.gzip(page.bytes)
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }

    private func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        do {
            return try Wire.gunzip(bytes, maxSize: maxBodyBytes * 8)
        } catch {
            throw APIError.badRequest("bad-encoding", "the gzip body cannot be decompressed (or is too large)")
        }
    }
}
