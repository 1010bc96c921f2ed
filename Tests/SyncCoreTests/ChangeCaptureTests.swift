import Foundation
import SyncKernel
import TestSupport
import Testing

@testable import SyncCore

/// Edits made by another SQLite client (the `sqlite3` shell, which knows nothing of SyncCore)
/// must be captured exactly like SyncCore's own.
@Suite("Change capture")
struct ChangeCaptureTests {
    static let shell = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs SQL through the sqlite3 shell; returns its standard output and exit status.
    @discardableResult
    static func sqlite3(_ path: String, _ sql: String) throws -> (output: String, status: Int32) {
        let shell = try #require(shell, "the sqlite3 shell is needed: apt-get install -y sqlite3")
        let result = try Command.run(shell, ["-bail", path], input: sql)
        return (result.output + result.error, result.status)
    }

    @Test("inserts, updates and deletes from the sqlite3 shell become pending changes")
    func shellEditsArePending() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("office.sqlite")
        let replica = try Replica.create(at: path, office: "Kuckuck")
        let result = try Self.sqlite3(
            path,
            """
            INSERT INTO contacts (name, quartier) VALUES ('Erika Beispiel', 'kuckuck');
            INSERT INTO contacts (name, quartier) VALUES ('Max Muster', 'kuckuck');
            UPDATE contacts SET phone = '05151 000000' WHERE name = 'Erika Beispiel';
            DELETE FROM contacts WHERE name = 'Max Muster';
            """)
        #expect(result.status == 0, "\(result.output)")
        #expect(try replica.status().pendingChanges == 4)
        let rows = try replica.records(.contacts)
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row.id?.count == 36, "the id default gives a UUID")
        #expect(row["created_at"] != nil && row["updated_at"] != nil)
        let state = try #require(try replica.state(of: RecordKey(.contacts, row.id!)))
        #expect(state.context[replica.id] == 3, "inserted at dot 1, updated at dot 3 (the other record took 2 and 4)")
        #expect(state.fields["phone"]?.first?.dot.counter == 3)
        #expect(state.fields["name"]?.first?.dot.counter == 1, "fields the update left alone keep their dot")
    }

    @Test("a rolled-back transaction leaves no trace")
    func rollbackLeavesNoTrace() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("office.sqlite")
        let replica = try Replica.create(at: path, office: "Kuckuck")
        let result = try Self.sqlite3(
            path,
            "BEGIN; INSERT INTO contacts (name, quartier) VALUES ('Erika Beispiel', 'kuckuck'); ROLLBACK;")
        #expect(result.status == 0, "\(result.output)")
        #expect(try replica.status().pendingChanges == 0)
        #expect(try replica.outgoing().records.isEmpty)
    }

    @Test("an update that changes nothing is not a change")
    func noOpUpdateIsNotCaptured() throws {
        let replica = try Replica.inMemory(office: "Kuckuck")
        let contact = try replica.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"])
        try replica.database.write { db in
            try db.execute(sql: "UPDATE contacts SET name = name WHERE id = ?", arguments: [contact.id!])
        }
        #expect(try replica.status().pendingChanges == 1)
    }

    @Test("changes applied from another replica are not captured as local edits")
    func appliedChangesAreNotCaptured() async throws {
        let kuckuck = try Replica.inMemory(office: "Kuckuck")
        let altstadt = try Replica.inMemory(office: "Altstadt")
        try kuckuck.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "*"])
        let summary = try await altstadt.apply(try kuckuck.changes(since: 0), from: .upstream(peer: "kuckuck"))
        #expect(summary.fastForwarded == 1)
        #expect(try altstadt.records(.contacts).count == 1)
        #expect(try altstadt.status().pendingChanges == 0)
    }

    @Test("the id of a record cannot be changed by any client")
    func idIsImmutable() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("office.sqlite")
        let replica = try Replica.create(at: path, office: "Kuckuck")
        try replica.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"])
        let result = try Self.sqlite3(path, "UPDATE contacts SET id = 'other';")
        #expect(result.status != 0)
        #expect(result.output.contains("cannot change"))
        #expect(try replica.status().pendingChanges == 1)
    }

    @Test("the schema refuses an unknown Handlungsfeld from any client")
    func schemaChecksHandlungsfeld() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("office.sqlite")
        let replica = try Replica.create(at: path, office: "Kuckuck")
        let result = try Self.sqlite3(
            path,
            "INSERT INTO activities (title, quartier, starts_at, handlungsfeld) VALUES ('Fest', 'kuckuck', '2025-06-16T14:00', 'fussball');"
        )
        #expect(result.status != 0)
        #expect(try replica.status().pendingChanges == 0)
    }

    @Test("SyncCore's bulk insert writes the log entries the triggers would, and the shell continues after them")
    func bulkInsertLogsLikeTheTriggers() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("office.sqlite")
        let replica = try Replica.create(at: path, office: "Kuckuck")
        // 130 rows: two statements of 64 rows and two single rows.
        let rows: [RecordValues] = try (0..<130).map {
            try RecordValues(.contacts, ["name": "Person \($0)", "quartier": "kuckuck"])
        }
        #expect(try replica.insert(.contacts, contentsOf: rows) == 130)
        let result = try Self.sqlite3(
            path,
            """
            INSERT INTO contacts (name, quartier) VALUES ('From the shell', 'kuckuck');
            SELECT count(*), min(seq), max(seq), count(DISTINCT row_id), sum(op = 'insert'), sum(mask = 511) FROM _sync_log;
            SELECT count(*) FROM _sync_log a JOIN _sync_log b ON b.seq = a.seq + 1
                WHERE (b.hlc_ms, b.hlc_logical) <= (a.hlc_ms, a.hlc_logical);
            SELECT count(*) FROM _sync_log l LEFT JOIN contacts c ON c.id = l.row_id WHERE c.id IS NULL;
            SELECT counter FROM _sync_clock;
            """)
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.first == "131|1|131|131|131|131", "one insert entry per row, positions 1…131, all fields set")
        #expect(lines.dropFirst().first == "0", "hybrid times strictly increase along the log")
        #expect(lines.dropFirst(2).first == "0", "every entry names a row that exists")
        #expect(lines.dropFirst(3).first == "131", "the clock stands at the last position")
        #expect(try replica.status().pendingChanges == 131)
        let states = try replica.changes(since: 0, limit: 200).records
        #expect(states.count == 131)
        #expect(Set(states.map { $0.context[replica.id] }).count == 131, "each record has a dot of its own")
        #expect(states.allSatisfy { $0.fields["name"]?.first?.value.text?.isEmpty == false })
    }

    @Test("a bulk insert with an id that exists already names the id field, not its value, and inserts nothing")
    func bulkInsertDuplicate() throws {
        let replica = try Replica.inMemory(office: "Kuckuck")
        let existing = try replica.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"])
        let id = try #require(existing.id)
        var rows: [RecordValues] = try (0..<100).map {
            try RecordValues(.contacts, ["name": "Person \($0)", "quartier": "kuckuck"])
        }
        rows[40]["id"] = id
        #expect {
            try replica.insert(.contacts, contentsOf: rows)
        } throws: { error in
            (error as? SyncError)?.field == "id" && (error as? SyncError)?.message.contains(id) == false
        }
        #expect(try replica.records(.contacts).count == 1)
        #expect(try replica.status().pendingChanges == 1)
    }
}
