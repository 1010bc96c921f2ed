import Foundation
import GRDB
import SyncKernel

/// The subject access report (DSGVO Art. 15) from a store's states: what an office holds, or
/// — at the server, which holds every record — what the whole network holds.
extension StateStore {
    /// The contacts whose e-mail address (compared without case) or phone number (compared by
    /// its digits) is the one given: how an admin finds a person who asks without an id.
    package static func contacts(_ db: Database, email: String?, phone: String?) throws -> [String] {
        let states = try db.rows(sql: "SELECT state FROM _sync_records WHERE tbl = 'contacts' AND visible = 1")
            .map { try StateTable.decode($0["state"]) }
        return contacts(among: states, email: email, phone: phone)
    }

    /// The contacts among `states` (visible contacts) with that e-mail address or phone number.
    package static func contacts(among states: [RecordState], email: String?, phone: String?) -> [String] {
        let email = email?.lowercased().trimmedWhitespace
        let digits = phone.map { $0.filter(\.isNumber) }
        let emailField = SyncTable.contacts.fieldIndex("email")!
        let phoneField = SyncTable.contacts.fieldIndex("phone")!
        var found: [String] = []
        for state in states {
            let emails = state.fields[index: emailField].compactMap { $0.value.text?.lowercased() }
            let phones = state.fields[index: phoneField].compactMap { $0.value.text?.filter(\.isNumber) }
            if let email, !email.isEmpty, emails.contains(email) {
                found.append(state.id)
            } else if let digits, !digits.isEmpty, phones.contains(digits) {
                found.append(state.id)
            }
        }
        return found
    }

    /// The report on the contacts `ids`: their records, the activities naming them as
    /// organiser, the audit entries and erasure orders about those. `holders` names the
    /// offices that hold a record of a Quartier.
    package func subjectReport(
        _ db: Database, contacts ids: [String], madeBy: String, holders: (String?) -> [String]
    ) throws -> SubjectReport {
        let states = try db.rows(
            sql:
                "SELECT state FROM _sync_records WHERE tbl IN ('contacts', 'activities', 'resolutions', 'erasures') ORDER BY seq"
        ).map { try StateTable.decode($0["state"]) }
        return Self.subjectReport(
            states: states, contacts: ids, madeBy: madeBy,
            madeAt: try db.value(String.self, sql: "SELECT \(StoreSchema.nowISO)")!,
            offices: try OfficeDirectory(db: db).all(), holders: holders)
    }

    /// The report on the contacts `ids` from `states` (contacts, activities, audit entries and
    /// erasure orders, in feed order), naming writers from `offices`.
    package static func subjectReport(
        states: [RecordState], contacts ids: [String], madeBy: String, madeAt: String,
        offices: [ReplicaID: String], holders: (String?) -> [String]
    ) -> SubjectReport {
        let subjects = Set(ids)
        let organiser = SyncTable.activities.fieldIndex("organiser_id")!
        let about = SyncTable.resolutions.fieldIndex("record_id")!
        var contacts: [RecordState] = []
        var activities: [RecordState] = []
        var audit: [Resolution] = []
        var orders: [ErasureOrder] = []
        for state in states {
            switch state.table {
            case .contacts where subjects.contains(state.id): contacts.append(state)
            case .activities
            where state.fields[index: organiser].contains { $0.value.text.map(subjects.contains) == true }:
                activities.append(state)
            case .resolutions where state.isVisible:
                if let record = state.fields[index: about].shown()?.value.text, subjects.contains(record),
                    let entry = Resolution(state.visibleRecord)
                {
                    audit.append(entry)
                }
            case .erasures:
                if let order = ErasureOrder(state), subjects.contains(order.recordId) { orders.append(order) }
            default: break
            }
        }
        func record(_ state: RecordState, _ relation: String) -> SubjectReport.Record {
            let fields = state.table.fields.indices.compactMap { index -> SubjectReport.Field? in
                let versions = state.fields[index: index]
                guard !versions.isEmpty else { return nil }
                return SubjectReport.Field(
                    name: state.table.fields[index], value: versions.shown()?.value.text,
                    versions: versions.map {
                        SubjectReport.Version(
                            value: $0.value.text, writtenBy: offices[$0.dot.replica] ?? $0.dot.replica.rawValue,
                            writtenAt: iso($0.time), replaced: $0.replaced?.text)
                    })
            }
            return SubjectReport.Record(
                table: state.table, id: state.id, relation: relation, quartier: state.route,
                exists: state.isVisible, erased: state.isErased, heldBy: holders(state.route), fields: fields,
                conflicts: state.conflictingFields)
        }
        return SubjectReport(
            subjects: ids, madeBy: madeBy, madeAt: madeAt,
            records: contacts.map { record($0, "the person's record") }
                + activities.map { record($0, "names the person as organiser") },
            auditEntries: audit.sorted { $0.resolvedAt < $1.resolvedAt }, erasureOrders: orders)
    }
}
