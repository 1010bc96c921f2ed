import ArgumentParser
import CommandLineSupport
import Foundation
import Logging
import SyncKernel
import SyncServer

/// `sync-server`: the central server the quartier offices sync through.
@main
struct SyncServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-server",
        abstract: "The QuartierSync server: offices push and pull their changes here.",
        subcommands: [
            Serve.self, OfficeCommand.self, AdminCommand.self, BackupCommand.self, CheckBackupCommand.self,
            MigrateCommand.self, StoreCommand.self,
        ])

    static func main() async {
        await CommandLineMain.run(Self.self, levelVariable: "LOG_LEVEL", defaultLevel: .info) { error in
            (error.commandLineMessage, error.exitCode)
        }
    }
}

/// `--db FILE` or `--store URL`, shared by every command.
struct StoreOptions: ParsableArguments {
    static let defaultFile = "quartiersync-server.sqlite"

    @Option(
        help: ArgumentHelp(
            "The server store as a SQLite file ('serve' creates it if missing, the other commands need it).",
            valueName: "file"))
    var db: String?

    @Option(
        help: ArgumentHelp(
            "The server store on PostgreSQL instead: postgres://USER@HOST:PORT/DATABASE[?sslmode=verify-full&sslrootcert=CA.pem]; "
                + "the password comes from PGPASSWORD or the password file (~/.pgpass), never the URL.",
            valueName: "url"))
    var store: String?

    func validate() throws {
        guard db == nil || store == nil else {
            throw ValidationError(
                "--db and --store name the store two ways: give one (--db FILE, or --store postgres://…)")
        }
        if let store {
            guard PostgresSettings.isURL(store) else {
                throw ValidationError(
                    "--store takes a postgres:// URL (for a SQLite file, use --db FILE)")
            }
        }
    }

    /// The SQLite file, when the store is one.
    var file: String { db ?? Self.defaultFile }

    /// The PostgreSQL settings, when the store is on PostgreSQL.
    func postgres() throws -> PostgresSettings? {
        try store.map { try PostgresSettings(url: $0) }
    }

    /// Opens the SQLite store; only `serve` (`creating`) makes a new one. A mistyped `--db` (or
    /// none) must not register an office in a new, empty store the running server never reads.
    func open(creating: Bool = false) throws -> SQLiteServerStore {
        if !creating, !FileManager.default.fileExists(atPath: file) {
            throw SyncError(
                .notFound,
                "there is no server store at \(file): check --db (it names the file 'sync-server serve --db' uses; serve creates it)",
                field: "db")
        }
        return try SQLiteServerStore(path: file, logger: Logger(label: "quartiersync.store"))
    }

    /// Runs `body` with the store, SQLite or PostgreSQL (whose client runs meanwhile).
    func withStore<T: Sendable>(_ body: (any ServerStore) async throws -> T) async throws -> T {
        if let settings = try postgres() {
            return try await PostgresServerStore.run(settings) { try await body($0) }
        }
        return try await body(try open())
    }
}
