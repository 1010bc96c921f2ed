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
        subcommands: [Serve.self, OfficeCommand.self, AdminCommand.self, BackupCommand.self, CheckBackupCommand.self])

    static func main() async {
        await CommandLineMain.run(Self.self, levelVariable: "LOG_LEVEL", defaultLevel: .info) { error in
            (error.commandLineMessage, error.exitCode)
        }
    }
}

/// `--db PATH`, shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(help: "The server store (SQLite file; 'serve' creates it if missing, the other commands need it).")
    var db: String = "quartiersync-server.sqlite"

    /// Opens the store; only `serve` (`creating`) makes a new one. A mistyped `--db` (or none)
    /// must not register an office in a new, empty store the running server never reads.
    func open(creating: Bool = false) throws -> SQLiteServerStore {
        if !creating, !FileManager.default.fileExists(atPath: db) {
            throw SyncError(
                .notFound,
                "there is no server store at \(db): check --db (it names the file 'sync-server serve --db' uses; serve creates it)",
                field: "db")
        }
        return try SQLiteServerStore(path: db, logger: Logger(label: "quartiersync.store"))
    }
}
