import Foundation
import NIOSSL
import PostgresNIO
import SyncKernel

/// Where and how the server reaches PostgreSQL: from a `postgres://` URL, libpq's environment
/// variables and libpq's password file, the way `psql` finds them — never a password on the
/// command line.
///
/// ```
/// postgres://quartiersync@db.example.org:5432/quartiersync?sslmode=verify-full&sslrootcert=/etc/quartiersync/db-ca.pem
/// ```
///
/// What the URL leaves out comes from `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`
/// and `PGSSLROOTCERT`; the password from `PGPASSWORD`, else the password file (`PGPASSFILE`,
/// or `~/.pgpass`: lines `host:port:database:user:password`, `*` matching anything, readable by
/// its owner only). `sslmode` is libpq's: `disable`, `prefer` (the default), `require`,
/// `verify-ca` and `verify-full` (the certificate checked against `sslrootcert`, or the
/// system's roots, and for `verify-full` the host name too).
public struct PostgresSettings: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var password: String?
    public var sslMode: SSLMode
    /// The CA certificates (PEM) a `verify-ca` or `verify-full` connection trusts; nil: the system's.
    public var rootCertificate: String?

    /// Whether `text` names a PostgreSQL store (rather than a SQLite file).
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads `url`, completing it from `environment` and the password file.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isURL(url), let components = URLComponents(string: url) else {
            throw SyncError(
                .invalidInput, "the store URL is not a postgres:// URL (postgres://USER@HOST:PORT/DATABASE)",
                field: "store")
        }
        guard components.password == nil else {
            // The URL is on a command line, in the process list and in shell histories.
            throw SyncError(
                .invalidInput,
                "the store URL holds a password: leave it out and give it in PGPASSWORD or a password file "
                    + "(~/.pgpass or PGPASSFILE; docs/operations.md, 'PostgreSQL')", field: "store")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        host =
            components.host.flatMap { $0.isEmpty ? nil : $0 } ?? query["host"] ?? environment["PGHOST"]
            ?? "localhost"
        if let text = components.port.map(String.init) ?? query["port"] ?? environment["PGPORT"] {
            guard let port = Int(text), (1...65535).contains(port) else {
                throw SyncError(.invalidInput, "the store URL's port is not a port number (1–65535)", field: "store")
            }
            self.port = port
        } else {
            port = 5432
        }
        let localUser = ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        user =
            components.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? query["user"]
            ?? environment["PGUSER"] ?? localUser
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? (query["dbname"] ?? environment["PGDATABASE"] ?? user) : path
        let mode = query["sslmode"] ?? environment["PGSSLMODE"] ?? SSLMode.prefer.rawValue
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw SyncError(
                .invalidInput,
                "sslmode '\(mode)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))",
                field: "store")
        }
        self.sslMode = sslMode
        rootCertificate = query["sslrootcert"] ?? environment["PGSSLROOTCERT"]
        password =
            environment["PGPASSWORD"]
            ?? Self.passwordFile(environment).flatMap {
                Self.password(in: $0, host: host, port: port, database: database, user: user)
            }
    }

    /// The URL without a password, for messages and logs.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// The password file to read: `PGPASSFILE`, else `~/.pgpass`; nil when there is none or it
    /// is readable by others than its owner (libpq ignores such a file too).
    static func passwordFile(_ environment: [String: String]) -> String? {
        let path =
            environment["PGPASSFILE"]
            ?? (environment["HOME"] ?? NSHomeDirectory()).appending("/.pgpass")
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = attributes[.posixPermissions] as? Int, mode & 0o077 == 0,
            let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return nil }
        return text
    }

    /// The password of the first line of a password file that matches (`*` matches anything;
    /// `\:` and `\\` escape).
    static func password(in file: String, host: String, port: Int, database: String, user: String) -> String? {
        for line in file.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            var fields: [String] = [""]
            var escaped = false
            for character in line {
                if escaped {
                    fields[fields.count - 1].append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == ":" && fields.count < 5 {
                    fields.append("")
                } else {
                    fields[fields.count - 1].append(character)
                }
            }
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// The client configuration: TCP, or the Unix socket when the host is a directory.
    func configuration() throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if host.hasPrefix("/") {
            configuration = PostgresClient.Configuration(
                unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: try tls())
        }
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.maximumConnections = 10
        return configuration
    }

    /// The configuration of one connection (what `open` checks the database with: its
    /// failure — refused, TLS, login — comes at once, where the pool would retry).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if host.hasPrefix("/") {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch try tlsMode() {
            case .disable: tls = .disable
            case .prefer(let configuration): tls = .prefer(try NIOSSLContext(configuration: configuration))
            case .require(let configuration): tls = .require(try NIOSSLContext(configuration: configuration))
            }
            configuration = PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// How TLS is used, with its configuration.
    enum TLSMode {
        case disable
        case prefer(TLSConfiguration)
        case require(TLSConfiguration)
    }

    private func tls() throws -> PostgresClient.Configuration.TLS {
        switch try tlsMode() {
        case .disable: .disable
        case .prefer(let configuration): .prefer(configuration)
        case .require(let configuration): .require(configuration)
        }
    }

    private func tlsMode() throws -> TLSMode {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return .disable
        case .prefer:
            tls.certificateVerification = .none
            return .prefer(tls)
        case .require:
            tls.certificateVerification = .none
            return .require(tls)
        case .verifyCA, .verifyFull:
            tls.certificateVerification = sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
            if let rootCertificate {
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
                } catch {
                    throw SyncError(
                        .invalidInput, "sslrootcert \(rootCertificate) is not a readable PEM certificate",
                        field: "store")
                }
            }
            return .require(tls)
        }
    }
}
