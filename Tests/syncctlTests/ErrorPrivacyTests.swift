import Foundation
import SyncKernel
import TestSupport
import Testing

/// A refused file or input must say where and what is wrong without repeating what was
/// written there: in a shifted CSV column, the "date" is somebody's e-mail address, and error
/// messages end up in terminal scroll-back, CI logs and support mails.
@Suite("Error messages carry no personal data")
struct ErrorPrivacyTests {
    /// Fictional people, each value distinct so any echo of one is found.
    static let people = [
        ["Erika Beispiel", "erika.beispiel@example.org", "05151 111111", "Nachbarschaftsverein Kuckuck"],
        ["Max Muster", "max.muster@example.org", "05151 222222", "Mieterbeirat Nordstadt"],
        ["Aylin Probe", "aylin.probe@example.org", "0170 3333333", "Elterncafé Südstadt"],
    ]

    /// Files that go wrong in the ways real exports do, each holding the people above.
    static let files: [(name: String, text: String, line: Int)] = [
        // The columns shifted by one: e-mail addresses land in consent_at.
        (
            "shifted columns",
            "name,quartier,organisation,consent_at,email\n"
                + people.map { "\($0[0]),kuckuck,\($0[1]),\($0[3]),\($0[2])" }.joined(separator: "\n") + "\n", 2
        ),
        // No header: the first person is read as the header.
        ("no header", people.map { "\($0[0]),kuckuck,\($0[1]),\($0[2])" }.joined(separator: "\n") + "\n", 1),
        // The quartier column holds the notes of a whole paragraph.
        (
            "text in the Quartier column",
            "name,quartier,phone\n\(people[0][0]),kuckuck,\(people[0][2])\n"
                + "\(people[1][0]),\"\(people[1][3])\n\(people[1][1])\",\(people[1][2])\n", 3
        ),
        // A duplicated id column holding names.
        (
            "names as ids",
            "id,name,quartier\n\(people[0][0]),\(people[0][0]),kuckuck\n\(people[0][0]),\(people[1][0]),kuckuck\n", 3
        ),
        // A header naming a person twice.
        ("header repeats", "name,\(people[2][0]),\(people[2][0])\n\(people[0][0]),x,y\n", 1),
    ]

    @Test("a refused import names the line and the column, never a value of the file", arguments: files.indices)
    func importMessages(index: Int) throws {
        let file = Self.files[index]
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let path = cli.home + "/broken.csv"
        try file.text.write(toFile: path, atomically: true, encoding: .utf8)
        for arguments in [["import", "contacts", path], ["import", "activities", path]] {
            let result = try cli.run(arguments)
            #expect(result.status == 65, "\(file.name): \(result.error)")
            #expect(result.output.isEmpty)
            #expect(result.error.split(separator: "\n").count == 1, "\(file.name): \(result.error)")
            #expect(result.error.contains("line "), "\(file.name): \(result.error)")
            for value in Self.people.joined() {
                #expect(!result.error.contains(value), "\(file.name): \(result.error) repeats a value of the file")
            }
        }
        #expect(try cli.run(["import", "contacts", path]).error.contains("line \(file.line)"), "\(file.name)")
        #expect(try cli.status()["contacts"] as? Int == 0)
    }

    @Test("a refused field on the command line names the field and the form it needs, not the value")
    func commandLineMessages() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let person = Self.people[0]
        let attempts: [([String], String)] = [
            (
                ["contact", "add", "--name", person[0], "--quartier", "kuckuck", "--consent-at", person[1]],
                "consent_at"
            ),
            (["contact", "add", "--name", person[0], "--quartier", person[3] + "\n" + person[2]], "quartier"),
            (
                [
                    "activity", "add", "--title", person[3], "--quartier", "kuckuck", "--starts", person[2],
                    "--handlungsfeld", "stadtteilkultur",
                ], "starts_at"
            ),
            (
                [
                    "activity", "add", "--title", person[3], "--quartier", "kuckuck", "--starts", "2025-06-16T14:00",
                    "--handlungsfeld", person[0],
                ], "handlungsfeld"
            ),
        ]
        for (arguments, field) in attempts {
            let result = try cli.run(arguments)
            #expect(result.status == 65, "\(result.error)")
            #expect(result.error.contains(field), "\(result.error)")
            for value in person { #expect(!result.error.contains(value), "\(result.error) repeats a value") }
        }
    }
}
