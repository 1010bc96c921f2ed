import ArgumentParser
import Foundation
import Logging
import SyncServer

/// `sync-server store copy --from FILE --to URL`
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Move the server store between engines; mark a restored database.",
        subcommands: [Copy.self, MarkRestored.self])

    struct MarkRestored: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mark-restored",
            abstract: "Mark a PostgreSQL store restored from a backup, before its server starts again.",
            discussion: """
                For 60 days from its first push the server then takes back from any office the \
                changes of other offices that the restore lost (a SQLite copy made by \
                'sync-server backup' carries this mark already). docs/operations.md, 'PostgreSQL'.
                """)

        @Option(help: ArgumentHelp("The PostgreSQL store: postgres://USER@HOST:PORT/DATABASE.", valueName: "url"))
        var store: String

        func run() async throws {
            let settings = try PostgresSettings(url: store)
            try await PostgresServerStore.run(settings) { try await $0.markRestored() }
            print("Marked \(settings.description) as restored: start its servers; the offices' next syncs repair it.")
        }
    }

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a SQLite server store into a new, empty PostgreSQL database.",
            discussion: """
                Everything moves: record states at their feed positions, the store id, offices \
                with their tokens, admins, activity, erasure proofs and retention rules. Offices \
                keep their tokens and cursors: their next sync against the new store downloads \
                nothing again and misses nothing. Stop the old server first (docs/operations.md, \
                'Moving to PostgreSQL'); one transaction, so a failed copy leaves the database empty.
                """)

        @Option(help: ArgumentHelp("The SQLite server store to copy.", valueName: "file")) var from: String
        @Option(help: ArgumentHelp("The PostgreSQL store: postgres://USER@HOST:PORT/DATABASE.", valueName: "url"))
        var to: String
        @Flag(help: "Print what was copied as JSON.") var json = false

        func run() async throws {
            guard FileManager.default.fileExists(atPath: from) else {
                throw ValidationError("there is no server store at \(from): check --from")
            }
            let settings = try PostgresSettings(url: to)
            let report = try await StoreCopy.copy(from: from, to: settings, logger: Logger(label: "quartiersync.store"))
            if json { return try printJSON(report) }
            print(
                "Copied \(report.rows["_sync_records"] ?? 0) records, \(report.rows["_server_offices"] ?? 0) offices "
                    + "and \(report.rows["_server_admins"] ?? 0) admins to \(settings.description) (store id "
                    + "\(report.storeID)). Start the server with 'sync-server serve --store \(to)'.")
        }
    }
}
