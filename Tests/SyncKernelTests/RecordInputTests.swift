import Foundation
import TestSupport
import Testing

@testable import SyncKernel

/// What SyncCore accepts from people and other tools, and the ids it gives new records.
@Suite("Record input")
struct RecordInputTests {
    @Test("dates are checked against the calendar and written as YYYY-MM-DD")
    func dates() {
        #expect(CalendarText.date("2025-03-26") == "2025-03-26")
        #expect(CalendarText.date("  2025-03-26\n") == "2025-03-26")
        #expect(CalendarText.date("2024-02-29") == "2024-02-29", "a leap day")
        #expect(CalendarText.date("2000-02-29") == "2000-02-29", "divisible by 400: a leap year")
        #expect(CalendarText.date("2025-03-26T14:00") == "2025-03-26", "a date-time is cut to its date")
        for wrong in [
            "2025-02-29", "1900-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "2025-3-26", "26.03.2025",
            "2025-03-2x", "2025/03/26", "", "２０２５-03-26", "2025-03-26x", "2025-03-261", "2025-03-26T", "T",
        ] {
            #expect(CalendarText.date(wrong) == nil, "\(wrong)")
        }
    }

    @Test("times are written as YYYY-MM-DDTHH:MM")
    func dateTimes() {
        #expect(CalendarText.dateTime("2025-06-16T14:00") == "2025-06-16T14:00")
        #expect(CalendarText.dateTime("2025-06-16 14:00:59") == "2025-06-16T14:00")
        #expect(CalendarText.dateTime("2025-06-16") == "2025-06-16T00:00")
        for wrong in [
            "2025-06-16x 10:00", "2025-06-16T10:00T", "2025-06-16T24:00", "2025-06-16T14:60", "2025-06-16T4:00",
            "2025-06-31T10:00",
        ] {
            #expect(CalendarText.dateTime(wrong) == nil, "\(wrong)")
        }
    }

    @Test("values are trimmed, empty text becomes NULL, and wrong values name the field")
    func validation() throws {
        let validator = RecordValidator(table: .contacts)
        func validate(_ values: [String: String?]) throws -> RecordValues {
            try validator.validate(try RecordValues(.contacts, values), isInsert: true)
        }
        let values = try validate([
            "name": "  Erika Beispiel\t", "quartier": "kuckuck", "notes": "   ", "phone": "05151 000000",
            "email": "\u{00A0}erika@example.org",
        ])
        #expect(values["name"] == "Erika Beispiel")
        #expect(values["phone"] == "05151 000000")
        #expect(values["email"] == "erika@example.org", "Unicode white space is trimmed too")
        let notes = try #require(SyncTable.contacts.columnIndex("notes"))
        #expect(values.isGiven(notes) && values["notes"] == nil, "blank notes are given, as NULL")
        #expect(throws: SyncError.self) { try validate(["name": "X", "quartier": "a\nb"]) }
        #expect(throws: SyncError.self) { try validate(["name": "X", "quartier": "a\u{2028}b"]) }
        #expect(throws: SyncError.self) { try validate(["name": "X", "quartier": "k", "colour": "red"]) }
        #expect(throws: SyncError.self) { try validate(["name": " ", "quartier": "kuckuck"]) }
        #expect(throws: SyncError.self) { try validate(["name": "X", "quartier": "k", "updated_at": "2025-01-01"]) }
    }

    @Test("a record holds one slot per column and remembers which columns were given")
    func recordValues() throws {
        var contact = RecordValues(.contacts)
        #expect(contact.isEmpty && contact.values.count == SyncTable.contacts.columns.count)
        contact["name"] = "Erika Beispiel"
        contact["phone"] = nil
        #expect(contact.givenColumns == ["name", "phone"], "a column set to NULL is given too")
        #expect(contact["name"] == "Erika Beispiel" && contact["phone"] == nil && contact["no such column"] == nil)
        contact.remove(column: SyncTable.contacts.columnIndex("phone")!)
        #expect(contact.givenColumns == ["name"])
        #expect {
            try RecordValues(.contacts, ["name": "Erika", "colour": "red"])
        } throws: { error in
            (error as? SyncError)?.field == "colour"
        }
        let json = String(decoding: try JSONEncoder().encode(contact), as: UTF8.self)
        #expect(
            json.contains("\"name\":\"Erika Beispiel\"") && json.contains("\"phone\":null"),
            "every column, null when empty")
    }

    @Test("new record ids are version-7 UUIDs that sort by creation time")
    func timeOrderedIDs() {
        var rng = SeededGenerator(seed: 7)
        var ids: [String] = []
        for step in 0..<200 {
            ids.append(RecordID.timeOrdered(milliseconds: 1_750_000_000_000 + Int64(step), using: &rng))
        }
        #expect(ids == ids.sorted(), "later ids sort after earlier ones")
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let uuid = UUID(uuidString: id)
            #expect(uuid != nil && uuid!.uuidString.lowercased() == id, "\(id) is a lowercase UUID")
            let characters = Array(id)
            #expect(characters[14] == "7", "version 7: \(id)")
            #expect("89ab".contains(characters[19]), "RFC 9562 variant: \(id)")
        }
        #expect(ids[0].hasPrefix("0197"), "the first 48 bits are the milliseconds: \(ids[0])")
    }
}
