import ArgumentParser
import SyncCore
import SyncKernel

/// `syncctl contact add|list|show|edit|delete`
struct ContactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact", abstract: "Record and look up contacts (personal data: shown only here).",
        subcommands: [
            AddRecord<ContactFields>.self, ListRecords<ContactFields>.self, ShowRecord<ContactFields>.self,
            EditRecord<ContactFields>.self, DeleteRecord<ContactFields>.self,
        ])
}

/// `syncctl activity add|list|show|edit|delete`
struct ActivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity", abstract: "Record and look up activities.",
        subcommands: [
            AddRecord<ActivityFields>.self, ListRecords<ActivityFields>.self, ShowRecord<ActivityFields>.self,
            EditRecord<ActivityFields>.self, DeleteRecord<ActivityFields>.self,
        ])
}

struct AddRecord<Fields: RecordFields>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "add", abstract: "Add a \(Fields.table.singular); prints it with its new id.")
    }

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var fields: Fields
    @Flag(help: "Print the new record as JSON.") var json = false
    @Flag(help: "Print only the new id (for scripts: ID=$(syncctl … add … --id-only)).") var idOnly = false

    func run() throws {
        let opened = try replica.open()
        let record = try opened.insert(fields.record)
        if idOnly { print(record.id ?? "") } else { try Output.record(record, json: json) }
        // Kept (the office may be offline and its Quartiere may change), but said at once.
        if let served = try opened.servedQuartiere(), !Quartier.scope(served, covers: record["quartier"] ?? nil) {
            Output.note(
                "this office serves \(served.joined(separator: ", ")): the server will refuse a \(Fields.table.singular) "
                    + "of another Quartier at the next sync; change its quartier, or ask an office of that Quartier")
        }
    }
}

struct ListRecords<Fields: RecordFields>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "List the \(Fields.table.rawValue) of this replica.")
    }

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "Only this Quartier.") var quartier: String?
    @Flag(help: "Print an array of records keyed by column name.") var json = false

    func run() throws {
        let records = try replica.open().records(Fields.table, quartier: quartier)
        try Output.list(records, table: Fields.table, json: json)
    }
}

struct ShowRecord<Fields: RecordFields>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "show", abstract: "Show one \(Fields.table.singular).")
    }

    @OptionGroup var replica: ReplicaOptions
    @Argument(help: "The record's id.") var id: String
    @Flag(help: "Print the record as JSON.") var json = false

    func run() throws {
        let opened = try replica.open()
        try Output.record(try opened.record(Fields.table, id: id), json: json)
        // A change the server refused shows here as such, not as if it had been shared.
        if let refusal = try opened.refusedWrites().first(where: { $0.table == Fields.table.rawValue && $0.id == id }) {
            Output.note("the server refused this office's change of this \(Fields.table.singular): \(refusal.message)")
        }
    }
}

struct EditRecord<Fields: RecordFields>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "edit",
            abstract: "Change fields of one \(Fields.table.singular); an empty value clears a field.")
    }

    @OptionGroup var replica: ReplicaOptions
    @Argument(help: "The record's id.") var id: String
    @OptionGroup var fields: Fields
    @Flag(help: "Print the changed record as JSON.") var json = false

    func run() throws {
        let record = try replica.open().update(Fields.table, id: id, changes: fields.record)
        try Output.record(record, json: json)
        let missing = Replica.missingRequiredFields(in: record)
        if !missing.isEmpty {
            Output.note(
                "this \(Fields.table.singular) still lacks required values that a delete erased: \(missing.joined(separator: ", ")); set them with 'syncctl \(Fields.table.singular) edit \(id)'"
            )
        }
    }
}

struct DeleteRecord<Fields: RecordFields>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "delete",
            abstract: "Delete one \(Fields.table.singular); other offices delete it when they sync.")
    }

    @OptionGroup var replica: ReplicaOptions
    @Argument(help: "The record's id.") var id: String
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        try replica.open().delete(Fields.table, id: id)
        if json {
            try Output.json(["deleted": id])
        } else {
            print("Deleted \(Fields.table.singular) \(id)")
        }
    }
}
