import ArgumentParser
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
        subcommands: [Serve.self, OfficeCommand.self, AdminCommand.self, BackupCommand.self])

    static func main() async {
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as SyncError {
            try? FileHandle.standardError.write(contentsOf: Data("sync-server: \(error.commandLineMessage)\n".utf8))
            Foundation.exit(error.exitCode)
        } catch {
            exit(withError: error)
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
