import ArgumentParser
import Foundation
import SyncServer

/// `sync-server backup --to FILE`
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the server store into a new file, while the server runs.",
        discussion: """
            Uses SQLite's online backup (a consistent snapshot; the server keeps serving), writes \
            the copy readable by its owner only (it holds every office's personal data), as one \
            file, marked as a backup (a server serving it knows it was restored), and checks it \
            with PRAGMA integrity_check. Never overwrites a file. Restore: \
            see docs/operations.md, 'Restore'.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("The new backup file.", valueName: "file")) var to: String
    @Flag(help: "Print {\"path\", \"bytes\", \"records\"} as JSON.") var json = false

    func run() async throws {
        if store.store != nil {
            throw ValidationError(
                "a PostgreSQL store is backed up with PostgreSQL's own tools (pg_dump, or base backups with WAL "
                    + "archiving): see docs/operations.md, 'PostgreSQL'")
        }
        let backup = try store.open().backup(to: to)
        if json { return try printJSON(backup) }
        print("Backed up \(backup.records) records (\(backup.bytes / 1024) KiB) to \(backup.path); the copy checks ok.")
    }
}
