import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOCore
import NIOHTTP1
import SyncCore
import SyncKernel
import SyncProtocol

/// The HTTP client of the sync protocol (docs/protocol.md), over AsyncHTTPClient.
///
/// Every failure becomes a ``SyncError`` whose code says the cause: `server-unreachable`,
/// `unauthorized`, `server-error` or `rejected`. Bodies are sent gzip-compressed. An https
/// server's certificate is verified against the system's authorities or the remote's private
/// CA file; redirects are never followed (the token must not travel to another address).
public struct SyncClient: Sendable {
    /// The server and token.
    public let remote: Remote
    /// Bytes sent and received through this client.
    public let transfer = TransferCounter()
    /// Seconds before one request gives up.
    let timeout: TimeInterval
    let http: HTTPClient

    /// Creates a client; `timeout` bounds each request.
    public init(remote: Remote, timeout: TimeInterval = 60) throws {
        self.remote = remote
        self.timeout = timeout
        http = try HTTPClients.shared.client(caFile: remote.caFile)
    }

    /// `GET /v1/health`.
    public func health() async throws -> Health {
        let (data, _) = try await send(request(path: "/v1/health", method: .GET, authorised: false))
        do {
            return try JSONDecoder().decode(Health.self, from: data)
        } catch {
            throw SyncError(
                .serverError, "\(remote.serverURL) does not answer like a QuartierSync server: check the URL")
        }
    }

    /// `GET /v2/session`: the office's scope and what the server holds of `replica`'s changes.
    public func session(replica: ReplicaID) async throws -> Session {
        var request = request(path: "/v2/session", method: .GET, authorised: true)
        request.headers.add(name: Wire.replicaHeader, value: replica.rawValue)
        let (data, _) = try await send(request)
        do {
            return try JSONDecoder().decode(Session.self, from: data)
        } catch {
            throw SyncError(.serverError, "the server's session answer is not understood: is it another version?")
        }
    }

    /// `POST /v2/recovery`: tells the server this replica found it had lost data; returns the
    /// server's new recovery epoch, which makes every other office send what it holds again.
    public func reportRecovery() async throws -> Int64 {
        let (data, _) = try await send(request(path: "/v2/recovery", method: .POST, authorised: true))
        do {
            return try JSONDecoder().decode(RecoveryReceipt.self, from: data).epoch
        } catch {
            throw SyncError(.serverError, "the server's answer to a recovery report is not understood")
        }
    }

    /// `POST /v2/push`: stores a batch; `key` makes a repeated request harmless. With
    /// `replica`, the server notes that it holds that replica's changes up to the batch's cursor.
    public func push(_ batch: ChangeBatch, key: String, replica: ReplicaID? = nil) async throws -> PushReceipt {
        var request = request(path: "/v2/push", method: .POST, authorised: true)
        if let replica { request.headers.add(name: Wire.replicaHeader, value: replica.rawValue) }
        request.headers.add(name: "Content-Type", value: Wire.batchMediaType)
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.headers.add(name: Wire.idempotencyHeader, value: key)
        let (data, _) = try await send(request, body: try Self.gzip(batch.encoded()))
        do {
            return try JSONDecoder().decode(PushReceipt.self, from: data)
        } catch {
            throw SyncError(.serverError, "the server's answer to a push is not understood: is it a newer version?")
        }
    }

    /// `GET /v2/pull`: the next page of changes after `cursor` for this office.
    /// `GET /v2/erasures`: the erasure orders this office has not confirmed, with the erased
    /// records' states (docs/data-protection.md).
    public func erasures(everywhere: Bool) async throws -> ChangeBatch {
        let (data, _) = try await send(
            request(
                path: "/v2/erasures", method: .GET, authorised: true, query: everywhere ? ["everywhere": "1"] : [:]))
        do {
            return try ChangeBatch(encoded: [UInt8](data), maxEntries: 4 * ChangeBatch.maxEntries)
        } catch {
            throw SyncError(.serverError, "the server's erasure orders are not understood: is it another version?")
        }
    }

    public func pull(since cursor: Int64, limit: Int) async throws -> ChangeBatch {
        let request = request(
            path: "/v2/pull", method: .GET, authorised: true, query: ["since": String(cursor), "limit": String(limit)])
        let (data, _) = try await send(request)
        var bytes = [UInt8](data)
        // Look at the bytes, not the header: a proxy may have decompressed the body.
        if Wire.isGzip(bytes) { bytes = try Self.gunzip(bytes) }
        do {
            // A page is bounded by the server (5,000 states, 8 MiB); the client allows four
            // times the entries a push may carry, so that no legitimate page is refused.
            return try ChangeBatch(encoded: bytes, maxEntries: 4 * ChangeBatch.maxEntries)
        } catch let error as SyncError {
            throw SyncError(
                .serverError, "the server sent a page that cannot be decoded; nothing was applied", cause: error)
        }
    }

    func request(path: String, method: HTTPMethod, authorised: Bool, query: [String: String] = [:])
        -> HTTPClientRequest
    {
        var components = URLComponents(
            url: remote.serverURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty {
            components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        }
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        request.method = method
        request.headers.add(name: "User-Agent", value: "QuartierSync/\(Wire.version)")
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        if authorised { request.headers.add(name: "Authorization", value: "Bearer \(remote.token)") }
        return request
    }

    /// The largest answer accepted: a page of 5,000 states with long notes stays far below.
    static let maxResponseBytes = 512 << 20

    /// How often a request answered 429 `slow-down` is sent again after the wait the server asks
    /// for (at most ``longestSlowDown`` seconds each): the office asked for more than its share
    /// of the server, and waiting is all it takes.
    static let slowDownRetries = 10
    static let longestSlowDown = 60

    func send(_ request: HTTPClientRequest, body: [UInt8]? = nil) async throws -> (Data, HTTPClientResponse) {
        var request = request
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        var waits = 0
        while true {
            do {
                return try await sendOnce(request, sent: body?.count ?? 0)
            } catch let slowDown as SlowDown where waits < Self.slowDownRetries {
                waits += 1
                try await Task.sleep(for: .seconds(min(slowDown.seconds, Self.longestSlowDown)))
            } catch let slowDown as SlowDown {
                throw SyncError(
                    .serverError,
                    "the server kept asking this office to slow down (\(slowDown.message)): another laptop of this office may be syncing, or the token is misused; try again later"
                )
            }
        }
    }

    /// A 429 `slow-down` answer: the server asks the office to wait `seconds`.
    struct SlowDown: Error {
        var seconds: Int
        var message: String
    }

    private func sendOnce(_ request: HTTPClientRequest, sent: Int) async throws -> (Data, HTTPClientResponse) {
        var response: HTTPClientResponse
        var buffer: ByteBuffer
        do {
            (response, buffer) = try await exchange(request)
        } catch  where Self.isStaleConnection(error) {
            // A kept-alive connection that the network or the server closed while it was idle
            // fails the first request sent on it. Every request of the protocol may be sent
            // twice (a push carries its idempotency key), so it is sent once more, on a new one.
            do {
                (response, buffer) = try await exchange(request)
            } catch {
                throw Self.transportError(error, remote.serverURL, office: !remote.isAdmin)
            }
        } catch {
            throw Self.transportError(error, remote.serverURL, office: !remote.isAdmin)
        }
        let data = Data(buffer.readableBytesView)
        let wire = response.headers.first(name: "Content-Length").flatMap(Int.init) ?? data.count
        transfer.add(sent: sent, received: wire)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let body = try? JSONDecoder().decode(ErrorBody.self, from: data)
            let message = body?.error.message ?? "HTTP \(status)"
            switch status {
            case 429 where body?.error.code == "slow-down":
                let seconds = response.headers.first(name: "Retry-After").flatMap(Int.init) ?? 1
                throw SlowDown(seconds: max(1, seconds), message: message)
            case 429:
                throw SyncError(.serverError, "the server is slowing down this address (\(message))")
            case 403 where body?.error.code == "replica-of-another-office":
                throw SyncError(.unauthorized, "the server refused this replica: \(message)", field: "replica")
            case 403 where body?.error.code == "forbidden":
                throw SyncError(.unauthorized, "the server refused this token here: \(message)")
            case 404 where body?.error.code == "not-found":
                throw SyncError(.notFound, message, field: "conflict")
            case 401, 403:
                // The server's reason without its advice: the advice follows, once, for who asks.
                let reason = message.split(separator: ":").first.map(String.init) ?? message
                if remote.isAdmin {
                    throw SyncError(
                        .unauthorized,
                        "the server refused this admin token (\(reason)): check which token file was given, or "
                            + "make a new admin token on the server", field: "admin-token")
                }
                throw SyncError(
                    .unauthorized,
                    "the server refused this office's token (\(reason)): ask the server admin for a new one",
                    field: "token")
            case 500...:
                throw SyncError(
                    .serverError,
                    "the sync server failed (\(message)): try again later\(remote.isAdmin ? "" : "; local edits stay pending")"
                )
            default:
                throw SyncError(.rejected, "the server refused the request: \(message)")
            }
        }
        return (data, response)
    }

    /// One request and its whole answer, within `timeout`. The client's own deadline ends
    /// with the answer's head; a body that stops half-way (a link that stalls, a proxy that
    /// holds the rest) would otherwise hold the sync, and the office's nightly run, for ever.
    private func exchange(_ request: HTTPClientRequest) async throws -> (HTTPClientResponse, ByteBuffer) {
        let deadline = Duration.milliseconds(Int64(timeout * 1000))
        return try await withThrowingTaskGroup(of: (HTTPClientResponse, ByteBuffer)?.self) { group in
            group.addTask {
                let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
                return (response, try await response.body.collect(upTo: Self.maxResponseBytes))
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next(), let answer else { throw HTTPClientError.deadlineExceeded }
            return answer
        }
    }

    /// Whether `error` says the connection was closed under the request (not a refusal, not a
    /// timeout): what a stale kept-alive connection does.
    static func isStaleConnection(_ error: any Error) -> Bool {
        if let error = error as? ChannelError, error == .ioOnClosedChannel { return true }
        if let error = error as? HTTPClientError, error == .remoteConnectionClosed { return true }
        return false
    }

    /// What a failed request means: an https:// address answered in plain HTTP, and an
    /// untrusted certificate, are named as such (they will not go away by trying again), a
    /// server that stops answering as slow; anything else is an unreachable server. For an
    /// `office`, each says that its local edits stay pending.
    static func transportError(_ error: any Error, _ server: URL, office: Bool = true) -> SyncError {
        let pending = office ? "; local edits stay pending" : ""
        let description = String(describing: error)
        if description.contains("WRONG_VERSION_NUMBER") || description.contains("wrong version number")
            || description.contains("HTTP_REQUEST")
        {
            return SyncError(
                .serverUnreachable,
                "the server at \(server) does not speak TLS (https://): it answers in plain HTTP, so the address "
                    + "should start with http:// — or the server's TLS is not set up" + pending,
                field: "tls", cause: error)
        }
        if description.contains("CERTIFICATE") || description.contains("certificate")
            || description.contains("handshake") || description.contains("Handshake")
        {
            return SyncError(
                .serverUnreachable,
                "the server at \(server) did not prove who it is (its TLS certificate is not trusted, or not for this "
                    + "name): check the address; for a private certificate authority, trust its certificate"
                    + pending,
                field: "ca-file", cause: error)
        }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return SyncError(
                .serverUnreachable,
                "the sync server at \(server) stopped answering (the network is slow or broken): try again later"
                    + pending,
                cause: error)
        }
        return SyncError(
            .serverUnreachable,
            "cannot reach the sync server at \(server): check the network and the address" + pending,
            cause: error)
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        Array(try Wire.gzip(bytes).readableBytesView)
    }

    static func gunzip(_ bytes: [UInt8], maxSize: Int = 512 << 20) throws -> [UInt8] {
        do {
            return try Wire.gunzip(bytes, maxSize: maxSize)
        } catch {
            throw SyncError(
                .serverError, "the server sent a damaged compressed page; nothing was applied", cause: error)
        }
    }
}

extension SyncClient: Upstream {
    /// `POST /v2/push` for `replica`: the server notes that it holds that replica's changes
    /// up to the batch's cursor.
    public func push(_ batch: ChangeBatch, key: String, replica: ReplicaID) async throws -> PushReceipt {
        try await push(batch, key: key, replica: Optional(replica))
    }
}
