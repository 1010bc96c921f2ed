import Foundation
import SyncKernel
import Testing

@Suite("syncctl import and export")
struct CSVTransferTests {
    func write(_ text: String, in cli: CLI) throws -> String {
        let path = cli.home + "/input-\(UUID().uuidString).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a valid file imports every line, with quoted commas, line breaks and a semicolon delimiter")
    func validImport() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let lines = [
            "name,quartier,organisation,notes",
            "Erika Beispiel,kuckuck,\"Nachbarschaftsverein, e.V.\",\"spricht Türkisch",
            "und Deutsch\"",
            "Max Muster,kuckuck,,\"sagt \"\"Moin\"\"\"",
        ]
        let file = try write(lines.joined(separator: "\r\n") + "\r\n", in: cli)
        let result = try cli.run(["import", "contacts", file])
        #expect(result.status == 0, "\(result.error)")
        let rows = try #require(try cli.run(["contact", "list", "--json"]).json() as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(
            rows.first { $0["name"] as? String == "Erika Beispiel" }?["organisation"] as? String
                == "Nachbarschaftsverein, e.V.")
        #expect(
            rows.first { $0["name"] as? String == "Erika Beispiel" }?["notes"] as? String
                == "spricht Türkisch\nund Deutsch")
        #expect(rows.first { $0["name"] as? String == "Max Muster" }?["notes"] as? String == "sagt \"Moin\"")
        let semicolons = try write(
            "title;quartier;starts_at;handlungsfeld\nStadtteilfest;kuckuck;2025-09-25 15:00;stadtteilkultur\n", in: cli)
        #expect(try cli.run(["import", "activities", semicolons]).status == 0)
        let activities = try #require(try cli.run(["activity", "list", "--json"]).json() as? [[String: Any]])
        #expect(activities.first?["starts_at"] as? String == "2025-09-25T15:00")
    }

    @Test(
        "a malformed or invalid line refuses the whole file and names the line",
        arguments: [
            ("name,quartier\nErika,kuckuck\nMax,kuckuck,extra\n", "line 3"),
            ("name,quartier\nErika,kuckuck\n\"Max,kuckuck\n", "line 3"),
            ("name,quartier\nErika,kuckuck\nMax\"s,kuckuck\n", "line 3"),
            ("name,quartier,consent_at\nErika,kuckuck,2025-03-26\nMax,kuckuck,gestern\n", "line 3"),
            ("name,quartier,telefon\nErika,kuckuck,1\n", "line 1"),
            ("name,quartier\nErika,kuckuck\n,kuckuck\n", "line 3"),
        ])
    func malformedImport(text: String, line: String) throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let result = try cli.run(["import", "contacts", try write(text, in: cli)])
        #expect(result.status == 65)
        #expect(result.error.contains(line), "\(result.error)")
        #expect(result.error.contains("nothing was imported"))
        #expect(try cli.status()["contacts"] as? Int == 0)
        #expect(try cli.status()["pendingChanges"] as? Int == 0)
    }

    @Test("an export imports into another replica as the same records")
    func exportRoundTrip() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        try cli.run([
            "contact", "add", "--name", "Erika Beispiel", "--quartier", "kuckuck", "--notes",
            "Zeile 1\nZeile 2, mit Komma",
        ])
        try cli.run(["contact", "add", "--name", "Max Muster", "--quartier", "*", "--consent-at", "2025-03-26"])
        let out = cli.home + "/contacts.csv"
        #expect(try cli.run(["export", "contacts", "--out", out]).status == 0)
        let other = cli.home + "/other.sqlite"
        try cli.run(["init", "--office", "Altstadt", "--replica", other], replicaFlag: false)
        #expect(try cli.run(["import", "contacts", out, "--replica", other], replicaFlag: false).status == 0)
        let original = try #require(try cli.run(["contact", "list", "--json"]).json() as? [[String: Any]])
        let copy = try #require(
            try cli.run(["contact", "list", "--json", "--replica", other], replicaFlag: false).json()
                as? [[String: Any]])
        let fields = ["id", "name", "quartier", "notes", "consent_at", "created_at"]
        #expect(
            copy.map { row in fields.map { row[$0] as? String } }
                == original.map { row in fields.map { row[$0] as? String } })
    }

    @Test("importing a file twice names the repeated rows (never their values); --skip-duplicates leaves them out")
    func duplicatesNamed() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let file = try write(
            """
            name,quartier,email,phone
            Erika Beispiel,kuckuck,erika@example.org,
            Max Muster,kuckuck,,05151 000009
            Jonas Muster,kuckuck,,

            """, in: cli)
        #expect(try cli.run(["import", "contacts", file]).status == 0)
        let again = try cli.run(["import", "contacts", file])
        #expect(again.status == 0, "\(again.error)")
        #expect(again.error.contains("2 imported rows repeat a record already here (lines 2, 3)"), "\(again.error)")
        #expect(!again.error.contains("Erika") && !again.error.contains("example.org"), "\(again.error)")
        // A different case or spacing is the same person; a row without e-mail or phone says nothing.
        let changed = try write(
            "name,quartier,email\n  erika beispiel ,kuckuck,ERIKA@example.org\nJonas Muster,kuckuck,\n", in: cli)
        let skipped = try cli.run(["import", "contacts", changed, "--skip-duplicates", "--json"])
        #expect(skipped.status == 0, "\(skipped.error)")
        let report = try skipped.object()
        #expect(report["imported"] as? Int == 1)
        #expect(report["duplicateLines"] as? [Int] == [2])
        let rows = try #require(try cli.run(["contact", "list", "--json"]).json() as? [[String: Any]])
        #expect(rows.filter { ($0["name"] as? String)?.contains("rika") == true }.count == 2)
        #expect(rows.count == 7)
    }

    @Test("a mistyped command is named, with the one meant; help still works")
    func unknownCommandNamed() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let typo = try cli.run(["contact", "ad", "--name", "x"], replicaFlag: false)
        #expect(typo.status == 64)
        #expect(typo.error.contains("'ad' is not a command of 'syncctl contact': did you mean 'add'?"), "\(typo.error)")
        let root = try cli.run(["contakt", "list"], replicaFlag: false)
        #expect(root.status == 64 && root.error.contains("did you mean 'contact'?"), "\(root.error)")
        #expect(try cli.run(["help", "contact"], replicaFlag: false).status == 0)
        #expect(try cli.run(["contact", "add", "--help"], replicaFlag: false).status == 0)
    }
}
