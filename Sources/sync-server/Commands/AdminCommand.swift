import ArgumentParser
import SyncServer

/// `sync-server admin add|revoke`
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Create and revoke admin tokens: for settling conflicts across the network.",
        subcommands: [Add.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an admin (or a new token for one); prints the token once (only a hash is stored).",
            discussion: """
                With it, 'syncctl admin conflicts list|show|resolve' and 'syncctl admin offices' \
                work against this server without a replica of anybody's data. A new token for an \
                existing admin replaces the old one at once.
                """)

        @OptionGroup var store: StoreOptions
        @Argument(help: "The admin's name (shown in the audit trail as admin:NAME).") var name: String
        @OptionGroup var output: TokenFileOption
        @Flag(help: "Print {\"admin\": …, \"token\": …} as JSON (without the token when --token-file is given).")
        var json = false

        func run() async throws {
            let file = try output.prepare()
            let token: String
            do {
                token = try await store.withStore { try await $0.addAdmin(name: name) }
            } catch {
                output.abandon(file)
                throw error
            }
            try output.finish(file, token: token)
            if let path = output.tokenFile {
                if json { return try printJSON(["admin": name, "tokenFile": path]) }
                return print("Admin '\(name)' can use the admin endpoints with the token in \(path) (mode 0600).")
            }
            if json { return try printJSON(["admin": name, "token": token]) }
            print("Admin '\(name)' can use the admin endpoints with this token (shown only now): \(token)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an admin's token; the admin endpoints refuse it from the next request on.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The admin's name.") var name: String

        func run() async throws {
            try await store.withStore { try await $0.revokeAdmin(name: name) }
            print("Admin '\(name)' revoked. Create a new token with 'sync-server admin add \(name)'.")
        }
    }
}
