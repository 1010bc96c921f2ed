import AsyncHTTPClient
import Foundation
import NIOSSL
import SyncKernel
import Synchronization

/// The HTTP clients of this process, one per way of trusting servers (the system's
/// authorities, or one private CA file), made on first use and kept for the process's life
/// (like `HTTPClient.shared`): a sync opens no client of its own to shut down.
final class HTTPClients: Sendable {
    static let shared = HTTPClients()

    private let clients = Mutex<[String: HTTPClient]>([:])

    /// The client that trusts `caFile` (a PEM file of one or more CA certificates), or the
    /// system's authorities when nil. Never follows redirects.
    func client(caFile: String?) throws -> HTTPClient {
        let key = caFile ?? ""
        if let client = clients.withLock({ $0[key] }) { return client }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw SyncError(
                    .invalidInput, "the CA file \(caFile) holds no readable PEM certificate", field: "ca-file")
            }
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.decompression = .disabled
        configuration.connectionPool.idleTimeout = .seconds(30)
        // A refused connection fails the request at once (the sync says the server is
        // unreachable; `sync --retry` decides about trying again), and a slow link gets
        // 30 seconds to connect.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(30)
        return clients.withLock { clients in
            if let existing = clients[key] { return existing }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = client
            return client
        }
    }
}
