import CompressNIO
import Foundation
import NIOCore
import SyncCore
import SyncKernel
import SyncProtocol

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The HTTP client of the sync protocol (docs/protocol.md), over URLSession.
///
/// Every failure becomes a ``SyncError`` whose code says the cause: `server-unreachable`,
/// `unauthorized`, `server-error` or `rejected`. Bodies are sent gzip-compressed.
public struct SyncClient: Sendable {
    /// The server and token.
    public let remote: Remote
    /// Bytes sent and received through this client.
    public let transfer = TransferCounter()
    let session: URLSession

    /// Creates a client; `timeout` bounds each request.
    public init(remote: Remote, timeout: TimeInterval = 60) {
        self.remote = remote
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 5
        configuration.httpAdditionalHeaders = ["User-Agent": "QuartierSync/\(Wire.version)"]
        session = URLSession(configuration: configuration)
    }

    /// `GET /v1/health`.
    public func health() async throws -> Health {
        let (data, _) = try await send(request(path: "/v1/health", method: "GET", authorised: false))
        do {
            return try JSONDecoder().decode(Health.self, from: data)
        } catch {
            throw SyncError(
                .serverError, "\(remote.serverURL) does not answer like a QuartierSync server: check the URL")
        }
    }

    /// `GET /v2/session`: the office's scope and what the server holds of `replica`'s changes.
    public func session(replica: ReplicaID) async throws -> Session {
        var request = request(path: "/v2/session", method: "GET", authorised: true)
        request.setValue(replica.rawValue, forHTTPHeaderField: Wire.replicaHeader)
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
        let (data, _) = try await send(request(path: "/v2/recovery", method: "POST", authorised: true))
        do {
            return try JSONDecoder().decode(RecoveryReceipt.self, from: data).epoch
        } catch {
            throw SyncError(.serverError, "the server's answer to a recovery report is not understood")
        }
    }

    /// `POST /v2/push`: stores a batch; `key` makes a repeated request harmless. With
    /// `replica`, the server notes that it holds that replica's changes up to the batch's cursor.
    public func push(_ batch: ChangeBatch, key: String, replica: ReplicaID? = nil) async throws -> PushReceipt {
        var request = request(path: "/v2/push", method: "POST", authorised: true)
        if let replica { request.setValue(replica.rawValue, forHTTPHeaderField: Wire.replicaHeader) }
        request.setValue(Wire.batchMediaType, forHTTPHeaderField: "Content-Type")
        request.setValue("gzip", forHTTPHeaderField: "Content-Encoding")
        request.setValue(key, forHTTPHeaderField: Wire.idempotencyHeader)
        request.httpBody = try Self.gzip(batch.encoded())
        let (data, _) = try await send(request)
        do {
            return try JSONDecoder().decode(PushReceipt.self, from: data)
        } catch {
            throw SyncError(.serverError, "the server's answer to a push is not understood: is it a newer version?")
        }
    }

    /// `GET /v2/pull`: the next page of changes after `cursor` for this office.
    public func pull(since cursor: Int64, limit: Int) async throws -> ChangeBatch {
        let request = request(
            path: "/v2/pull", method: "GET", authorised: true, query: ["since": String(cursor), "limit": String(limit)])
        let (data, _) = try await send(request)
        var bytes = [UInt8](data)
        // URLSession may already have decompressed the body (curl does) while the header still
        // says gzip: look at the bytes, not the header.
        if Wire.isGzip(bytes) { bytes = try Self.gunzip(bytes) }
        do {
            return try ChangeBatch(encoded: bytes)
        } catch let error as SyncError {
            throw SyncError(
                .serverError, "the server sent a page that cannot be decoded; nothing was applied", cause: error)
        }
    }

    func request(path: String, method: String, authorised: Bool, query: [String: String] = [:]) -> URLRequest {
        var components = URLComponents(
            url: remote.serverURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty {
            components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        }
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        request.setValue("gzip", forHTTPHeaderField: "Accept-Encoding")
        if authorised { request.setValue("Bearer \(remote.token)", forHTTPHeaderField: "Authorization") }
        return request
    }

    func send(_ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw SyncError(
                .serverUnreachable,
                "cannot reach the sync server at \(remote.serverURL): check the network and the address; local edits stay pending",
                cause: error)
        }
        guard let http = response as? HTTPURLResponse else {
            throw SyncError(.serverError, "the server at \(remote.serverURL) did not answer over HTTP")
        }
        // Content-Length is the size on the wire (compressed), even when URLSession decompressed.
        let wire = http.value(forHTTPHeaderField: "Content-Length").flatMap(Int.init) ?? data.count
        transfer.add(sent: request.httpBody?.count ?? 0, received: wire)
        guard (200..<300).contains(http.statusCode) else {
            let body = try? JSONDecoder().decode(ErrorBody.self, from: data)
            let message = body?.error.message ?? "HTTP \(http.statusCode)"
            switch http.statusCode {
            case 403 where body?.error.code == "forbidden":
                throw SyncError(.unauthorized, "the server refused this token here: \(message)")
            case 404 where body?.error.code == "not-found":
                throw SyncError(.notFound, message, field: "conflict")
            case 401, 403:
                throw SyncError(
                    .unauthorized,
                    "the server refused this office's token (\(message)): ask the server admin for a new token"
                )
            case 500...:
                throw SyncError(
                    .serverError, "the sync server failed (\(message)): try again later; local edits stay pending")
            default:
                throw SyncError(.rejected, "the server refused the request: \(message)")
            }
        }
        return (data, http)
    }

    static func gzip(_ bytes: [UInt8]) throws -> Data {
        Data(try Wire.gzip(bytes).readableBytesView)
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
