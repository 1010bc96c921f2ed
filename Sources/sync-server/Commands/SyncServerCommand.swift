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
        subcommands: [Serve.self, OfficeCommand.self, AdminCommand.self])

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
    @Option(help: "The server store (SQLite file; created if missing).")
    var db: String = "quartiersync-server.sqlite"

    func open() throws -> SQLiteServerStore {
        try SQLiteServerStore(path: db, logger: Logger(label: "quartiersync.store"))
    }
}
