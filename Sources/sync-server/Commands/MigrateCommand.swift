import ArgumentParser
import Logging
import SyncServer

/// `sync-server migrate [--db FILE | --store URL]`
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Bring the server store's tables to this release's version.",
        discussion: """
            A PostgreSQL store is migrated only by this command (or 'serve --migrate'): 'serve' \
            refuses a database at an older version. Several servers started at once migrate once \
            (an advisory lock). A SQLite store is migrated whenever a command opens it; this \
            command does only that.
            """)

    @OptionGroup var store: StoreOptions

    func run() async throws {
        if let settings = try store.postgres() {
            let migrated = try await PostgresServerStore.open(settings, migration: .apply)
            print(
                "The store at \(settings.description) is at version \(PostgresServerStore.schemaVersion) (store id \(migrated.storeID))."
            )
        } else {
            let migrated = try store.open()
            print("The store \(store.file) is migrated (store id \(migrated.storeID)).")
        }
    }
}
