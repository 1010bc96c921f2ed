import ArgumentParser
import SyncCore
import SyncKernel

/// The fields of one table as command-line options, named like the columns.
protocol RecordFields: ParsableArguments {
    /// The table these options fill.
    static var table: SyncTable { get }
    /// The columns given on the command line (an empty value clears a field).
    var record: RecordValues { get }
}

/// `--quartier`, `--name`, … for contacts.
struct ContactFields: RecordFields {
    static let table = SyncTable.contacts

    @Option(help: "The Quartier, or * for the state-wide network.") var quartier: String?
    @Option(help: "The person's or organisation's name.") var name: String?
    @Option(help: "The organisation (Träger, association, city department).") var organisation: String?
    @Option(help: "The role, e.g. 'Quartiersmanagerin'.") var role: String?
    @Option(help: "E-mail address.") var email: String?
    @Option(help: "Phone number.") var phone: String?
    @Option(help: "Notes.") var notes: String?
    @Option(
        name: [.customLong("consent-at"), .customLong("consent")], help: "The date consent was given (2025-03-26).")
    var consentAt: String?

    var record: RecordValues {
        RecordValues.given(
            .contacts,
            [
                ("quartier", quartier), ("name", name), ("organisation", organisation), ("role", role),
                ("email", email), ("phone", phone), ("notes", notes), ("consent_at", consentAt),
            ])
    }
}

/// `--title`, `--starts`, … for activities.
struct ActivityFields: RecordFields {
    static let table = SyncTable.activities

    @Option(help: "The Quartier, or * for the state-wide network.") var quartier: String?
    @Option(help: "The title.") var title: String?
    @Option(help: "A description.") var description: String?
    @Option(name: [.customLong("starts"), .customLong("starts-at")], help: "Start, local time (2025-06-16T14:00).")
    var startsAt: String?
    @Option(name: [.customLong("ends"), .customLong("ends-at")], help: "End, local time.") var endsAt: String?
    @Option(help: "Where it takes place.") var location: String?
    @Option(help: "The field of action: \(Handlungsfeld.allCases.map(\.rawValue).joined(separator: ", ")).")
    var handlungsfeld: String?
    @Option(name: [.customLong("organiser"), .customLong("organiser-id")], help: "The organising contact's id.")
    var organiserId: String?
    @Option(help: "planned, held or cancelled.") var status: String?

    var record: RecordValues {
        RecordValues.given(
            .activities,
            [
                ("quartier", quartier), ("title", title), ("description", description), ("starts_at", startsAt),
                ("ends_at", endsAt), ("location", location), ("handlungsfeld", handlungsfeld),
                ("organiser_id", organiserId), ("status", status),
            ])
    }
}

extension RecordValues {
    /// A record of `table` with the options that were given on the command line.
    fileprivate static func given(_ table: SyncTable, _ options: [(column: String, value: String?)]) -> RecordValues {
        var record = RecordValues(table)
        for option in options where option.value != nil { record[option.column] = option.value }
        return record
    }
}
