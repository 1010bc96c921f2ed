import Foundation
import SyncCore
import TestSupport
import Testing

/// No name, e-mail address or phone number of a contact in any log line or progress output: a
/// full scenario (add, import, edit, conflict, settle, delete, move, forged write, failed
/// sync) through a real server logging at `trace` and `syncctl` at `trace`. Only the output of
/// the commands whose job is to show records (`contact list/show`, `conflicts show`, …) may
/// carry them, and is not checked.
@Suite("No personal data in logs", .serialized)
struct LogPrivacyTests {
    /// Fictional people: every value is searched for in the logs.
    static let people = [
        ("Ada Beispielfrau", "ada.beispielfrau@example.org", "0511 4711001"),
        ("Bo Musterknabe", "bo.musterknabe@example.org", "0511 4711002"),
        ("Cem Platzhalter", "cem.platzhalter@example.org", "0511 4711003"),
    ]

    @Test("a full scenario at trace level logs no name, e-mail or phone of a contact")
    func noPersonalDataInLogs() throws {
        let workspace = TemporaryDirectory("quartiersync-logs")
        let serverLog = workspace.file("server.log")
        let server = try SyncServerProcess.start(
            binary: Binaries.server, database: workspace.file("server.sqlite"), logFile: serverLog)
        defer { server.stop() }
        var checked = ""

        /// Runs `syncctl` for `office` at trace level; its standard error is always checked, its
        /// standard output only when the command does not exist to show records.
        @discardableResult
        func syncctl(_ office: String, _ arguments: [String], showsData: Bool = false, input: String? = nil) throws
            -> Command.Result
        {
            let result = try Command.run(
                Binaries.syncctl, arguments + ["--replica", workspace.file(office + ".sqlite")],
                environment: ["HOME": workspace.path, "SYNCCTL_LOG_LEVEL": "trace"], input: input)
            checked += result.error
            if !showsData { checked += result.output }
            return result
        }

        for (office, quartier) in [("kuckuck", "kuckuck"), ("kuckuck2", "kuckuck"), ("altstadt", "altstadt")] {
            let token = try server.addOffice(office, quartiers: [quartier])
            try syncctl(
                office, ["init", "--office", office, "--server", server.url, "--token-file", "-"], input: token)
        }
        let (ada, bo, cem) = (Self.people[0], Self.people[1], Self.people[2])
        let added = try syncctl(
            "kuckuck",
            ["contact", "add", "--json", "--name", ada.0, "--email", ada.1, "--phone", ada.2, "--quartier", "kuckuck"],
            showsData: true)
        let id = try #require(try added.object()["id"] as? String)
        let csv = workspace.file("contacts.csv")
        // Shifted columns: an e-mail address where the consent date belongs.
        try """
        name,email,phone,quartier,consent_at
        \(bo.0),\(bo.1),\(bo.2),kuckuck,2025-03-26
        \(cem.0),\(cem.2),kuckuck,2025-03-26,\(cem.1)
        """.write(toFile: csv, atomically: true, encoding: .utf8)
        let refusedImport = try syncctl("kuckuck", ["import", "contacts", csv])
        #expect(refusedImport.status == 65)
        try "name,email,phone,quartier\n\(bo.0),\(bo.1),\(bo.2),kuckuck\n".write(
            toFile: csv, atomically: true, encoding: .utf8)
        #expect(try syncctl("kuckuck", ["import", "contacts", csv]).status == 0)
        for office in ["kuckuck", "kuckuck2", "altstadt"] { try syncctl(office, ["sync", "--json"]) }

        // A conflict, looked at and settled.
        try syncctl("kuckuck", ["contact", "edit", id, "--phone", cem.2], showsData: true)
        try syncctl("kuckuck2", ["contact", "edit", id, "--phone", bo.2], showsData: true)
        for office in ["kuckuck", "kuckuck2", "kuckuck"] { try syncctl(office, ["sync"]) }
        let conflicts = try syncctl("kuckuck", ["conflicts", "list", "--json"], showsData: true)
        let conflict = try #require((try conflicts.json() as? [[String: Any]])?.first?["id"] as? String)
        try syncctl("kuckuck", ["conflicts", "show", conflict], showsData: true)
        try syncctl(
            "kuckuck", ["conflicts", "resolve", conflict, "--take-shown", "--reason", "Rücksprache im Team"],
            showsData: true)
        try syncctl("kuckuck", ["conflicts", "history"], showsData: true)

        // A move, a delete, a forged write, a sync against a server that is gone.
        try syncctl("kuckuck", ["contact", "edit", id, "--quartier", "altstadt"], showsData: true)
        try syncctl("kuckuck", ["contact", "list"], showsData: true)
        for office in ["kuckuck", "kuckuck2", "altstadt"] { try syncctl(office, ["sync"]) }
        try syncctl("altstadt", ["contact", "delete", id])
        let forged = try Command.run(
            "/usr/bin/sqlite3",
            [
                workspace.file("altstadt.sqlite"),
                "INSERT INTO contacts (id, quartier, name, email) VALUES ('f-1', 'kuckuck', '\(cem.0)', '\(cem.1)')",
            ])
        #expect(forged.status == 0)
        try syncctl("altstadt", ["sync", "--json"])
        try syncctl("altstadt", ["status", "--json"])
        try syncctl("altstadt", ["log"])
        server.stop()
        #expect(try syncctl("kuckuck2", ["sync"]).status == 75)
        try server.restart()
        try syncctl("kuckuck2", ["sync"])

        checked += try String(contentsOfFile: serverLog, encoding: .utf8)
        #expect(checked.contains("sync finished"), "the client logged nothing at trace level")
        #expect(checked.contains("push"), "the server logged nothing at trace level")
        let lowered = checked.lowercased()
        let words = Set(lowered.split { !$0.isLetter && !$0.isNumber }.map(String.init))
        for person in Self.people {
            for value in [person.0, person.1, person.2] {
                #expect(!lowered.contains(value.lowercased()), "a log or progress line shows '\(value)'")
            }
            // A part of a name as a word of its own: "Ada" inside a random request id
            // ("…630cadaf") is no name.
            for part in person.0.lowercased().split(separator: " ") {
                #expect(!words.contains(String(part)), "a log or progress line shows '\(part)'")
            }
        }
    }
}
