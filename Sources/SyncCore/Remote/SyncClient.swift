import CompressNIO
import Foundation
import NIOCore

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

    /// What `GET /v1/health` says.
    public struct Health: Sendable, Decodable, Equatable {
        /// `ok` when the server can serve syncs.
        public var status: String
        /// The protocol version the server speaks.
        public var protocolVersion: Int
        /// The server store's id: pull cursors are kept per store.
        public var storeId: String

        enum CodingKeys: String, CodingKey {
            case status
            case protocolVersion = "protocol"
            case storeId
        }
    }

    /// What `GET /v2/session` says: who the office is on this server, what it may see, and
    /// what the server holds (for anti-entropy, see ``Replica/recover(from:peer:)``).
    public struct Session: Sendable, Decodable, Equatable {
        /// The office's name on the server.
        public var office: String
        /// The Quartiere the office serves (`*` for the shared records).
        public var quartiers: [String]
        /// The server store's id: pull cursors are kept per store.
        public var storeId: String
        /// The server's feed head.
        public var head: Int64
        /// The log position of the asking replica up to which the server holds its pushes.
        public var acknowledged: Int64
        /// The largest counter of each replica in any state the server holds.
        public var knowledge: [String: UInt64]
        /// The server's recovery epoch: it grows each time an office reports that the server
        /// lost data, so that every office sends what it holds again.
        public var epoch: Int64

        /// What the server holds, as ``Replica/recover(from:peer:)`` takes it.
        public var serverKnowledge: Replica.ServerKnowledge {
            Replica.ServerKnowledge(
                knowledge: VersionVector(
                    Dictionary(uniqueKeysWithValues: knowledge.map { (ReplicaID(rawValue: $0.key), $0.value) })),
                acknowledged: acknowledged, head: head)
        }
    }

    /// The header naming the replica that sends a request (its pushes are acknowledged per replica).
    public static let replicaHeader = "QuartierSync-Replica"

    /// What `POST /v2/push` answers.
    public struct PushReceipt: Sendable, Decodable, Equatable {
        /// States in the batch.
        public var received: Int
        /// States that changed the server's store.
        public var stored: Int
        /// States the server already knew.
        public var alreadyKnown: Int
    }

    /// Media type of a change batch.
    public static let batchMediaType = "application/vnd.quartiersync.batch"

    /// How batches are compressed on the wire, by both sides: gzip at level 1. On a 724 KB
    /// page, level 6 (zlib's default) took 19.8 ms against 5.1 ms for 2.5 % fewer bytes, and
    /// the server compresses every page for every office (docs/protocol.md).
    public static let compression = CompressionAlgorithm.gzip(configuration: .init(compressionLevel: 1))
    /// The protocol version this client speaks.
    public static let protocolVersion = 2

    /// Creates a client; `timeout` bounds each request.
    public init(remote: Remote, timeout: TimeInterval = 60) {
        self.remote = remote
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 5
        configuration.httpAdditionalHeaders = ["User-Agent": "syncctl/1"]
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
        request.setValue(replica.rawValue, forHTTPHeaderField: Self.replicaHeader)
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
        struct Answer: Decodable { var epoch: Int64 }
        do {
            return try JSONDecoder().decode(Answer.self, from: data).epoch
        } catch {
            throw SyncError(.serverError, "the server's answer to a recovery report is not understood")
        }
    }

    /// `POST /v2/push`: stores a batch; `key` makes a repeated request harmless. With
    /// `replica`, the server notes that it holds that replica's changes up to the batch's cursor.
    public func push(_ batch: ChangeBatch, key: String, replica: ReplicaID? = nil) async throws -> PushReceipt {
        var request = request(path: "/v2/push", method: "POST", authorised: true)
        if let replica { request.setValue(replica.rawValue, forHTTPHeaderField: Self.replicaHeader) }
        request.setValue(Self.batchMediaType, forHTTPHeaderField: "Content-Type")
        request.setValue("gzip", forHTTPHeaderField: "Content-Encoding")
        request.setValue(key, forHTTPHeaderField: "Idempotency-Key")
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
        if bytes.starts(with: [0x1f, 0x8b]) { bytes = try Self.gunzip(bytes) }
        do {
            return try ChangeBatch(encoded: bytes)
        } catch let error as SyncError {
            throw SyncError(
                .serverError, "the server sent a page that cannot be decoded; nothing was applied", cause: error)
        }
    }

    private func request(path: String, method: String, authorised: Bool, query: [String: String] = [:]) -> URLRequest {
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

    private func send(_ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
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
            let message =
                (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message ?? "HTTP \(http.statusCode)"
            switch http.statusCode {
            case 401, 403:
                throw SyncError(
                    .unauthorized,
                    "the server refused this office's token (\(message)): ask the admin for a new token and run 'syncctl remote set'"
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

    /// The JSON error body every non-2xx answer carries.
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }

        var error: Detail
    }

    static func gzip(_ bytes: [UInt8]) throws -> Data {
        var buffer = ByteBuffer(bytes: bytes)
        let compressed = try buffer.compress(with: Self.compression)
        return Data(compressed.readableBytesView)
    }

    static func gunzip(_ bytes: [UInt8], maxSize: Int = 512 << 20) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        do {
            let plain = try buffer.decompress(with: .gzip, maxSize: maxSize)
            return Array(plain.readableBytesView)
        } catch {
            throw SyncError(
                .serverError, "the server sent a damaged compressed page; nothing was applied", cause: error)
        }
    }
}
