import ArgumentParser
import Foundation
import SyncKernel
import SyncServer

/// `sync-server office add|list|revoke`
struct OfficeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "office", abstract: "Register offices and manage their tokens.",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an office; prints its token once (only a hash is stored).",
            discussion: """
                For an office that is registered already, sets its Quartiere instead (as when it \
                takes over a neighbouring Quartier): its token stays valid, and its next sync brings \
                the records of the new Quartiere and removes those it no longer serves.
                """)

        @OptionGroup var store: StoreOptions
        @Argument(help: "The office's name.") var name: String
        @Option(name: .customLong("quartier"), help: "A Quartier whose records the office receives (repeat for more).")
        var quartiers: [String] = []
        @OptionGroup var output: TokenFileOption
        @Flag(help: "Print {\"office\": …, \"token\": …} as JSON (without the token when --token-file is given).")
        var json = false

        func run() async throws {
            let file = try output.prepare()
            let office: Office
            let token: String?
            do {
                (office, token) = try await store.withStore { try await $0.addOffice(name: name, quartiers: quartiers) }
            } catch {
                output.abandon(file)
                throw error
            }
            try output.finish(file, token: token)
            if token != nil, let path = output.tokenFile {
                if json {
                    return try printJSON(
                        Registration(office: office.name, quartiers: office.quartiers, tokenFile: path))
                }
                print("Registered office '\(office.name)' for \(office.quartiers.joined(separator: ", ")).")
                print("Its token is in \(path) (mode 0600): give the file to the office over a safe channel.")
                return
            }
            guard let token else {
                if json {
                    try printJSON(Registration(office: office.name, quartiers: office.quartiers, updated: true))
                } else {
                    print(
                        "Office '\(office.name)' now serves \(office.quartiers.joined(separator: ", ")); its token stays valid."
                    )
                }
                return
            }
            if json {
                try printJSON(Registration(office: office.name, quartiers: office.quartiers, token: token))
            } else {
                print("Registered office '\(office.name)' for \(office.quartiers.joined(separator: ", ")).")
                print("Token (shown only now; give it to the office): \(token)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered offices.")

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let offices = try await store.withStore { try await $0.offices() }
            if json { return try printJSON(offices) }
            for office in offices {
                let state = office.revokedAt.map { "revoked \($0)" } ?? "active"
                print("\(office.name)  [\(office.quartiers.joined(separator: ", "))]  \(state)")
            }
            print("\(offices.count) office\(offices.count == 1 ? "" : "s")")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an office's token at once.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The office's name.") var name: String

        func run() async throws {
            try await store.withStore { try await $0.revokeOffice(name: name) }
            print("Revoked the token of '\(name)'; register it again to issue a new one.")
        }
    }
}

/// What `office add --json` prints.
struct Registration: Encodable {
    var office: String
    var quartiers: [String]
    /// The new token, shown once; absent when an active office only got new Quartiere.
    var token: String?
    /// True when an active office got new Quartiere and kept its token.
    var updated: Bool?
    /// Where the new token was written (`--token-file`), instead of `token`.
    var tokenFile: String?
}

/// Prints `value` as one line of JSON.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
