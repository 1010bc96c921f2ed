import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A running PostgreSQL cluster the tests and the benchmark make databases in: one per server
/// store, so every test starts from an empty store.
///
/// ```swift
/// let cluster = PostgresCluster(url: "postgres://postgres@127.0.0.1:55432", dataDirectory: "/tmp/qs-pg/data")
/// let store = try cluster.newDatabase()   // postgres://postgres@127.0.0.1:55432/qs_…
/// ```
public struct PostgresCluster: Sendable {
    /// `postgres://USER@HOST:PORT`, without a database.
    public let url: String
    /// The cluster's data directory (for a restart), when it runs on this machine.
    public let dataDirectory: String?

    public init(url: String, dataDirectory: String?) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.dataDirectory = dataDirectory
    }

    /// A port no process listens on now, on 127.0.0.1 (the kernel's choice): for a cluster
    /// to start on.
    public static func freePort() -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : 40000 + Int(getpid() % 20000)
    }

    /// `psql`, from the client package.
    static let psql = "/usr/bin/psql"

    /// Runs one SQL statement in the database `database` with `psql`; returns its output.
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") throws -> String {
        let result = try Command.run(
            Self.psql, ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", "\(url)/\(database)", "-c", statement])
        guard result.status == 0 else { throw CommandError("psql failed: \(result.error)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates an empty database and returns its URL.
    public func newDatabase() throws -> String {
        let name = "qs_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try sql("CREATE DATABASE \(name)")
        return "\(url)/\(name)"
    }

    /// Restarts the cluster at once (`pg_ctl restart -m fast`): every connection is ended.
    public func restart(script: String) throws {
        guard let dataDirectory else { throw CommandError("the PostgreSQL cluster is not on this machine") }
        let (status, output) = Command.shell("'\(script)' restart '\(dataDirectory)'")
        guard status == 0 else { throw CommandError("pg_ctl restart failed: \(output)") }
    }
}
