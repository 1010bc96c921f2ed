import ArgumentParser
import SyncCore
import SyncKernel

/// `syncctl backup --to FILE`
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy this replica into a new file (also while a sync runs).",
        discussion: """
            Uses SQLite's online backup (a consistent snapshot), writes the copy readable by its \
            owner only (it holds personal data), as one file, and checks it. Never overwrites a \
            file. Restoring an office's replica from a backup has a catch: see docs/operations.md, \
            'A copied or restored replica'.
            """)

    @OptionGroup var replica: ReplicaOptions
    @Option(help: ArgumentHelp("The new backup file.", valueName: "file")) var to: String
    @Flag(help: "Print {\"path\", \"bytes\", \"records\"} as JSON.") var json = false

    func run() throws {
        let backup = try replica.open().backup(to: to)
        if json { return try Output.json(backup) }
        print("Backed up \(backup.records) records (\(backup.bytes / 1024) KiB) to \(backup.path); the copy checks ok.")
    }
}
