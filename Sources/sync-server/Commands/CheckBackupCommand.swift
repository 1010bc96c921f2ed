import ArgumentParser
import Foundation
import SyncServer

/// `sync-server check-backup FILE`: which erased records a backup still holds.
struct CheckBackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-backup",
        abstract: "List the erasure orders whose records a backup file still holds (a backup older than the order).",
        discussion: """
            Such a backup holds the person until it is deleted: delete it, or keep it no longer than your \
            retention allows, and never restore it without letting the offices sync afterwards \
            (docs/data-protection.md). Exits with 65 when the backup holds any.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: ArgumentHelp("The backup file.", valueName: "file")) var backup: String
    @Flag(help: "Print the orders as JSON.") var json = false

    func run() async throws {
        let held = try await store.withStore { try await $0.erasuresStillIn(backup: backup) }
        if json {
            try printJSON(held)
        } else if held.isEmpty {
            print("\(backup) holds no record erased since it was taken.")
        } else {
            for order in held {
                print("\(order.table.singular) \(order.recordId): erased \(order.orderedAt) (order \(order.id))")
            }
            print(
                "\(backup) still holds \(held.count) erased record(s): delete it, or keep it no longer than your "
                    + "retention allows and never restore it without the offices syncing after.")
        }
        if !held.isEmpty { throw ExitCode(65) }
    }
}
