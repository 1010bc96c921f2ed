import ArgumentParser
import Foundation
import SyncCore

/// `sync-server office add|list|revoke`
struct OfficeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "office", abstract: "Register offices and manage their tokens.",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: ParsableCommand {
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
        @Flag(help: "Print {\"office\": …, \"token\": …} as JSON.") var json = false

        func run() throws {
            let (office, token) = try store.open().addOffice(name: name, quartiers: quartiers)
            guard let token else {
                if json {
                    print(
                        #"{"office": \#(quote(office.name)), "quartiers": \#(quote(office.quartiers)), "updated": true}"#
                    )
                } else {
                    print(
                        "Office '\(office.name)' now serves \(office.quartiers.joined(separator: ", ")); its token stays valid."
                    )
                }
                return
            }
            if json {
                print(
                    #"{"office": \#(quote(office.name)), "quartiers": \#(quote(office.quartiers)), "token": \#(quote(token))}"#
                )
            } else {
                print("Registered office '\(office.name)' for \(office.quartiers.joined(separator: ", ")).")
                print("Token (shown only now; give it to the office): \(token)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered offices.")

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let offices = try store.open().offices()
            if json {
                let data = try JSONEncoder().encode(offices)
                print(String(decoding: data, as: UTF8.self))
                return
            }
            for office in offices {
                let state = office.revokedAt.map { "revoked \($0)" } ?? "active"
                print("\(office.name)  [\(office.quartiers.joined(separator: ", "))]  \(state)")
            }
            print("\(offices.count) office\(offices.count == 1 ? "" : "s")")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an office's token at once.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The office's name.") var name: String

        func run() throws {
            try store.open().revokeOffice(name: name)
            print("Revoked the token of '\(name)'; register it again to issue a new one.")
        }
    }
}

func quote(_ value: some Encodable) -> String {
    String(decoding: (try? JSONEncoder().encode(value)) ?? Data("null".utf8), as: UTF8.self)
}
