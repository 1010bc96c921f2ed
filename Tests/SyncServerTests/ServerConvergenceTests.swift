import Foundation
import GRDB
import SyncCore
import SyncKernel
import SyncRemote
import SyncServer
import SyncStore
import TestSupport
import Testing

/// Seeded randomised convergence through a real `sync-server` process: the production path,
/// with the real Quartier filter, wire format and client.
///
/// Per seed: five offices — two of Kuckuck, one of Altstadt, one of Nordstadt, the state-wide
/// office (`*`) — on real replica files. They insert contacts and activities into their
/// Quartiere and `*`, edit (through SyncCore and as plain SQL, like any SQLite client), delete
/// and move records between Quartiere, and sync in random order: in process with `RemoteSync`,
/// or as `syncctl sync` processes killed with SIGKILL part way, or run on a failing disk
/// (libfiu: SQLite's writes and syncs fail at a seeded rate). Every connection goes through a
/// ``FaultProxy`` that breaks half of them (delays, cut requests and responses, resets,
/// half-open stalls, duplicated requests; `QS_FAULT_SHARE`), and for a few steps the server's
/// own disk fails (503). On the way the server is restarted, backed up with `sync-server backup`
/// while it runs, restored from that backup, and one office is given other Quartiere. The
/// final round runs with the faults off. Now and then an office erases a contact of its
/// Quartiere (DSGVO Art. 17), or an admin does through the server, while other offices still
/// edit it. After it:
/// - offices with the same scope show identical rows and identical open conflicts;
/// - no office holds a record outside its scope, in its tables or its store;
/// - every record is at every office its Quartier says, as the server holds it;
/// - no acknowledged edit is lost: each write is still a version of its field on the server,
///   or was overwritten by a write that had seen it — across the restore too: when the server
///   is restored, every write is in the backup or at some office (an office lets a record
///   leave its Quartiere only once the offices it goes to hold it), or kept, marked refused,
///   at the office whose newer version the restored server will not take;
/// - every erased contact is erased at the server and at every office that holds it, shows
///   nowhere, and its e-mail address (unique to it) is in no byte of any office's or the
///   server's database, WAL or shared-memory file.
///
/// Seeds run one after another: launching processes from many test cases at once trips a
/// crash in Foundation's `Process.run()` on Linux (swift-corelibs-foundation PR #5472), which
/// grows likelier with the number of open file descriptors.
///
/// On PostgreSQL (a cluster of the test run's own, ``TestPostgres/restartable``) two server
/// processes serve one database and each office syncs through either, at random; instead of
/// the restart, backup and restore, one of the servers is SIGKILLed and started again, and the
/// database itself is restarted (`pg_ctl restart -m fast`) mid-run. The server's disk faults are
/// left out (its store is not on its disk), and so is the check of the server's files for an
/// erased e-mail address (PostgreSQL's files are the database's: docs/data-protection.md); the
/// other checks are the same.
///
/// Seeds: `QS_SERVER_SEEDS` (default 200) seeds from 0 on SQLite, `QS_POSTGRES_SEEDS` (default
/// 40) on PostgreSQL; `QS_SEED=N` replays one (on both), and `QS_TRACE=1` prints its steps. A
/// replay repeats every step; only where a SIGKILL lands depends on timing.
@Suite("Convergence through the server", .serialized)
struct ServerConvergenceTests {
    static var seeds: [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let seed = environment["QS_SEED"].flatMap(UInt64.init) { return [seed] }
        return Array(0..<(environment["QS_SERVER_SEEDS"].flatMap(UInt64.init) ?? 200))
    }

    static var postgresSeeds: [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let seed = environment["QS_SEED"].flatMap(UInt64.init) { return [seed] }
        return Array(0..<(environment["QS_POSTGRES_SEEDS"].flatMap(UInt64.init) ?? 40))
    }

    @Test(
        "offices converge through two servers on one PostgreSQL database, with a server killed and the database restarted",
        .enabled(if: TestPostgres.installed, TestPostgres.skipped), arguments: postgresSeeds)
    func convergesOnPostgres(seed: UInt64) async throws {
        print(
            "convergence through two servers on PostgreSQL: seed \(seed) (replay: QS_SEED=\(seed) swift test --filter ServerConvergence)"
        )
        guard let cluster = TestPostgres.restartable else { return }  // enabled only where it exists
        let network = try ServerNetwork(seed: seed, postgres: cluster)
        defer {
            for proxy in network.proxies { proxy.stop() }
            for server in network.servers { server.stop() }
        }
        for _ in 0..<network.steps { try await network.step() }
        try await network.finalRound()
        try await network.checkConverged()
    }

    @Test(
        "offices of several Quartiere converge through a real server, with kills, a restart and a restore",
        arguments: seeds)
    func converges(seed: UInt64) async throws {
        print(
            "convergence through the server: seed \(seed) (replay: QS_SEED=\(seed) swift test --filter ServerConvergence)"
        )
        let network = try ServerNetwork(seed: seed)
        defer {
            for proxy in network.proxies { proxy.stop() }
            for server in network.servers { server.stop() }
        }
        for _ in 0..<network.steps { try await network.step() }
        try await network.finalRound()
        try await network.checkConverged()
    }
}

/// One randomised run. A class: the steps share the server and the offices.
private final class ServerNetwork {
    struct Office {
        let name: String
        let path: String
        let replica: Replica
        var scope: [String]
    }

    struct Write {
        var key: RecordKey
        var field: String
        var dot: Dot
    }

    static let quartiere = ["kuckuck", "altstadt", "nordstadt", Quartier.shared]
    /// The share of connections the proxy breaks before the final round (`QS_FAULT_SHARE`);
    /// above 0, offices also sync on failing disks and the server's disk fails for a while
    /// (`QS_FAULT_SHARE=0` runs with kills and restarts only).
    static let faultShare = ProcessInfo.processInfo.environment["QS_FAULT_SHARE"].flatMap(Double.init) ?? 0.5
    static let names = ["Erika Beispiel", "Jonas Muster", "Aylin Beispiel", "Max Muster"]
    static let phones = ["05151 000001", "05151 000002", nil]
    static let titles = ["Stadtteilfest", "Arbeitskreis Gemeinwesenarbeit", "Beratungsstunde", "Quartiersrundgang"]
    static let locations = ["Stadtteiltreff Kuckuck", "Gemeindehaus", nil]

    let seed: UInt64
    var rng: SeededGenerator
    let workspace: TemporaryDirectory
    /// The servers: one on SQLite; two on one PostgreSQL database.
    let servers: [SyncServerProcess]
    var server: SyncServerProcess { servers[0] }
    /// Between the offices and each server: breaks a share of the connections until the
    /// final round (``FaultProxy``).
    let proxies: [FaultProxy]
    /// The PostgreSQL cluster, in the PostgreSQL mode.
    let postgres: PostgresCluster?
    /// Each office's token (an office syncs through either server on PostgreSQL).
    var tokens: [String] = []
    /// The step until which a sync may find the database restarting (503).
    var databaseRestartUntil = -1
    /// Syncs that failed on a broken connection or the server's failing disk, by error code.
    var failedSyncs: [String: Int] = [:]
    /// How `syncctl sync` on a failing office disk ended, by exit code.
    var officeDiskOutcomes: [Int32: Int] = [:]
    /// Whether the server's disk fails now (between `diskFaultAt` and `diskFaultUntil`).
    var serverDiskFailing = false
    /// The server process whose disk faults are on.
    var faultedServer: Int32?
    var diskFaultAt: Int
    var diskFaultUntil: Int
    var offices: [Office] = []
    let steps: Int
    var writes: [Write] = []
    var contextAt: [Dot: VersionVector] = [:]
    /// The deletes made, for the rule of a shown value.
    var shownRule = ShownValueRule()
    var backup: String?
    /// Writes made after the backup that no office held when the server was restored.
    var heldByNoOffice = Set<Dot>()
    /// The offices' scopes as the backup holds them: a restore brings them back too.
    var backedUpScopes: [[String]] = []
    var restartAt: Int
    var backupAt: Int
    var restoreAt: Int
    var rescopeAt: Int
    /// The step at which one office's clock jumps hours ahead.
    var clockAheadAt: Int
    var stepIndex = 0
    /// Each contact's e-mail address, unique to it.
    var emails: [RecordKey: String] = [:]
    /// The contacts erased, with their e-mail addresses.
    var erased: [RecordKey: String] = [:]
    /// An admin's token file, for erasures through the server.
    let adminToken: String

    var context: Comment { "seed \(seed): replay with QS_SEED=\(seed) swift test --filter ServerConvergence" }
    let tracing = ProcessInfo.processInfo.environment["QS_TRACE"] == "1"

    /// Prints a step with `QS_TRACE=1` (ids and Quartiere only; the data is made up anyway).
    func trace(_ text: @autoclosure () -> String) {
        if tracing {
            print(
                "\(Date().formatted(.iso8601.time(includingFractionalSeconds: true))) [\(seed)/\(stepIndex)] \(text())")
        }
    }

    init(seed: UInt64, postgres: PostgresCluster? = nil) throws {
        self.seed = seed
        self.postgres = postgres
        rng = SeededGenerator(seed: seed)
        workspace = TemporaryDirectory("quartiersync-e2e")
        // A request stalled by the proxy holds the server's graceful shutdown (a restart, a
        // restore) until the idle timeout: three seconds here, not the default minute.
        if let postgres {
            let database = try postgres.newDatabase()
            // With QS_TRACE=1 each server logs at trace level into the workspace (kept on failure).
            let tracing = ProcessInfo.processInfo.environment["QS_TRACE"] == "1"
            servers = try (0..<2).map { index in
                try SyncServerProcess.start(
                    binary: Binaries.server, database: database, arguments: ["--idle-timeout", "3"],
                    logFile: tracing ? "/tmp/quartiersync-server-\(seed)-\(index).log" : nil)
            }
        } else {
            servers = [
                try SyncServerProcess.start(
                    in: workspace, arguments: ["--idle-timeout", "3"], launcher: [DiskFaultTests.fiuRun, "-x"])
            ]
        }
        proxies = try servers.map { try FaultProxy.start(upstreamPort: $0.port, seed: seed, share: Self.faultShare) }
        steps = 40 + Int(seed % 25)
        diskFaultAt = Int.random(in: 1..<steps - 8, using: &rng)
        diskFaultUntil = diskFaultAt + Int.random(in: 2...6, using: &rng)
        backupAt = Int.random(in: 2..<steps / 2, using: &rng)
        restoreAt = Int.random(in: backupAt + 3..<steps - 2, using: &rng)
        restartAt = Int.random(in: 1..<steps - 1, using: &rng)
        rescopeAt = Int.random(in: 1..<steps - 1, using: &rng)
        clockAheadAt = Int.random(in: 1..<steps - 1, using: &rng)
        if postgres != nil {
            // No server disk to fail, no file to back up: the database restarts at `backupAt`
            // instead, and admins may erase from the start (no restore can lose their write).
            diskFaultAt = -10
            diskFaultUntil = -10
            restoreAt = -1
        }
        adminToken = workspace.path + "/admin.token"
        try server.addAdmin("Datenschutz").write(toFile: adminToken, atomically: true, encoding: .utf8)
        let layout: [(String, [String])] = [
            ("Kuckuck", ["kuckuck"]), ("Kuckuck Süd", ["kuckuck"]), ("Altstadt", ["altstadt"]),
            ("Nordstadt", ["nordstadt"]), ("LAG", [Quartier.shared]),
        ]
        for (name, scope) in layout {
            let path = workspace.path + "/" + name.lowercased().filter(\.isLetter) + ".sqlite"
            let replica = try Replica.create(at: path, office: name)
            let token = try server.addOffice(name, quartiers: scope)
            tokens.append(token)
            try replica.setRemote(try Remote(server: "http://127.0.0.1:\(proxies[0].port)", token: token))
            offices.append(Office(name: name, path: path, replica: replica, scope: scope))
        }
    }

    func step() async throws {
        defer { stepIndex += 1 }
        if stepIndex == backupAt, let postgres {
            trace("the database restarts (pg_ctl restart -m fast)")
            try postgres.restart(script: TestPostgres.script)
            // Connections the servers held are gone: a request on one is answered 503 until
            // the pool has replaced it.
            databaseRestartUntil = stepIndex + 4
        } else if stepIndex == backupAt {
            backup = workspace.path + "/backup.sqlite"
            trace("backup")
            backedUpScopes = offices.map(\.scope)
            let result = try Command.run(
                Binaries.server, ["backup", "--db", server.database, "--to", backup!],
                environment: ["LOG_LEVEL": "warning"])
            #expect(result.status == 0, "backup failed: \(result.error); \(context)")
        }
        if stepIndex == restoreAt, let backup {
            trace("restore (scopes \(backedUpScopes))")
            try noteWritesHeldByNoOffice(backup: backup)
            for index in offices.indices { offices[index].scope = backedUpScopes[index] }
            server.stop()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: server.database + suffix) }
            try FileManager.default.copyItem(atPath: backup, toPath: server.database)
            try server.restart()
        }
        if stepIndex == restartAt, postgres != nil {
            let killed = Int.random(in: 0..<servers.count, using: &rng)
            trace("server \(killed) is killed (SIGKILL) and started again")
            servers[killed].crash()
            try servers[killed].restart()
        } else if stepIndex == restartAt {
            trace("restart")
            try server.restart()
        }
        if stepIndex == diskFaultAt && Self.faultShare > 0 {
            let probability = Double.random(in: 0.05...0.3, using: &rng)
            trace("the server's disk fails (p \(probability))")
            serverDisk(failing: probability)
        }
        if stepIndex == diskFaultUntil {
            trace("the server's disk works again")
            serverDisk(failing: nil)
        }
        if stepIndex == rescopeAt {
            // The Altstadt office takes over Nordstadt, or hands Altstadt over for Nordstadt.
            let scope = Bool.random(using: &rng) ? ["altstadt", "nordstadt"] : ["nordstadt"]
            trace("Altstadt now serves \(scope)")
            try server.setQuartiers(of: "Altstadt", to: scope)
            offices[2].scope = scope
        }
        if stepIndex == clockAheadAt {
            // An office whose computer's clock runs hours ahead (a wrong time zone, a dead
            // battery set by hand): its writes carry times hours in the future, within the
            // server's bound, and every office that pulls them is dragged along.
            let office = offices[Int.random(in: 0..<offices.count, using: &rng)]
            let hours = Int64.random(in: 2...9, using: &rng)
            trace("\(office.name)'s clock runs \(hours) hours ahead")
            try await office.replica.database.write { db in
                try db.execute(
                    sql: "UPDATE _sync_clock SET hlc_ms = max(hlc_ms, ?), hlc_logical = 0",
                    arguments: [Int64(Date().timeIntervalSince1970 * 1000) + hours * 3_600_000])
            }
        }
        let index = Int.random(in: 0..<offices.count, using: &rng)
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<46: try edit(index)
        case 46..<58: try workAsPeopleDo(index)
        case 58..<88: try await sync(index)
        case 88..<94: try killedSync(index)
        default: try Self.faultShare > 0 ? syncOnFailingDisk(index) : killedSync(index)
        }
    }

    // MARK: What people do between two syncs

    /// Several writes with no read of the replica in between (nothing folds the change log),
    /// as an office does between two syncs: a record added by mistake and deleted, added and
    /// handed to another Quartier (and perhaps deleted there), added, corrected and deleted,
    /// an edit of any column through plain SQL, an edit followed by a delete. The generator's
    /// other writes read the state after each write, which folds the log at once: that is why
    /// it never reached a record deleted before its first fold (issue #19).
    func workAsPeopleDo(_ index: Int) throws {
        let office = offices[index]
        let replica = office.replica
        let table: SyncTable = Bool.random(using: &rng) ? .contacts : .activities
        let quartier = (office.scope + [Quartier.shared]).randomElement(using: &rng)!
        let id = "p\(seed)-\(stepIndex)"
        let key = RecordKey(table, id)
        func sql(_ statement: String, _ arguments: StatementArguments = []) throws {
            try replica.database.write { try $0.execute(sql: statement, arguments: arguments) }
        }
        func insert() throws {
            if Bool.random(using: &rng) {
                var values: [String: String?] = ["id": id, "quartier": quartier]
                if table == .contacts {
                    values["name"] = Self.names.randomElement(using: &rng)!
                } else {
                    values["title"] = Self.titles.randomElement(using: &rng)!
                    values["starts_at"] = "2025-06-16T14:00"
                    values["handlungsfeld"] = Handlungsfeld.allCases.randomElement(using: &rng)!.rawValue
                }
                _ = try replica.insert(table, values: values)
            } else if table == .contacts {
                try sql(
                    "INSERT INTO contacts (id, quartier, name) VALUES (?, ?, ?)",
                    [id, quartier, Self.names.randomElement(using: &rng)!])
            } else {
                try sql(
                    "INSERT INTO activities (id, quartier, title, starts_at, handlungsfeld) VALUES (?, ?, ?, ?, ?)",
                    [
                        id, quartier, Self.titles.randomElement(using: &rng)!, "2025-07-01T10:00",
                        Handlungsfeld.allCases[0].rawValue,
                    ])
            }
        }
        func delete(_ key: RecordKey) throws {
            if Bool.random(using: &rng) {
                try replica.delete(key.table, id: key.id)
            } else {
                try sql("DELETE FROM \(key.table.rawValue) WHERE id = ?", [key.id])
            }
        }
        let elsewhere = Self.quartiere.randomElement(using: &rng)!
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            trace("\(office.name) adds \(table)/\(id) in \(quartier) and deletes it before any fold")
            try insert()
            try delete(key)
            try note(replica, key, fields: [Conflict.existenceField])
        case 1:
            trace("\(office.name) adds \(table)/\(id) in \(quartier), moves it to \(elsewhere), deletes it")
            try insert()
            try sql("UPDATE \(table.rawValue) SET quartier = ? WHERE id = ?", [elsewhere, id])
            try delete(key)
            try note(replica, key, fields: [Conflict.existenceField])
        case 2:
            trace("\(office.name) adds \(table)/\(id) in \(quartier) and hands it to \(elsewhere) before any fold")
            try insert()
            try sql("UPDATE \(table.rawValue) SET quartier = ? WHERE id = ?", [elsewhere, id])
            try note(replica, key, fields: ["quartier", Conflict.existenceField])
        case 3:
            trace("\(office.name) adds \(table)/\(id), corrects and deletes it in one transaction")
            let column = table == .contacts ? "notes" : "location"
            try replica.database.write { db in
                try db.execute(sql: "SAVEPOINT work")
                try db.execute(
                    sql: table == .contacts
                        ? "INSERT INTO contacts (id, quartier, name) VALUES (?, ?, 'Tipp Fehler')"
                        : "INSERT INTO activities (id, quartier, title, starts_at, handlungsfeld) VALUES (?, ?, 'Probe', '2025-07-01T10:00', ?)",
                    arguments: table == .contacts
                        ? [id, quartier] : [id, quartier, Handlungsfeld.allCases[0].rawValue])
                try db.execute(
                    sql: "UPDATE \(table.rawValue) SET \(column) = 'korrigiert' WHERE id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM \(table.rawValue) WHERE id = ?", arguments: [id])
                try db.execute(sql: "RELEASE work")
            }
            try note(replica, key, fields: [Conflict.existenceField])
        default:
            // An existing record: any column edited as plain SQL, perhaps deleted right after.
            guard let existing = try visible(replica, table).randomElement(using: &rng) else { return }
            let (column, value) = Self.anyColumn(table, &rng)
            let deletes = Int.random(in: 0..<4, using: &rng) == 0
            trace(
                "\(office.name) sets \(table)/\(existing.suffix(12)).\(column) with SQL\(deletes ? ", then deletes it" : "")"
            )
            let existingKey = RecordKey(table, existing)
            let before = try replica.state(of: existingKey)?.context[replica.id]
            try sql("UPDATE \(table.rawValue) SET \(column) = ? WHERE id = ?", [value, existing])
            if deletes {
                try delete(existingKey)
                try note(replica, existingKey, fields: [Conflict.existenceField])
            } else if let state = try replica.state(of: existingKey), state.context[replica.id] != before {
                // Only a write that changed the value is a write (the trigger ignores the rest).
                try note(replica, existingKey, fields: [column])
            }
        }
    }

    /// A column of `table` other than the id and the route, and a valid value for it.
    static func anyColumn(_ table: SyncTable, _ rng: inout SeededGenerator) -> (String, String?) {
        let choices: [(String, [String?])] =
            table == .contacts
            ? [
                ("name", names), ("organisation", ["Nachbarschaftsverein Kuckuck e.V.", nil]),
                ("role", ["Ehrenamtliche", nil]), ("email", ["kontakt@example.org", nil]), ("phone", phones),
                ("notes", ["Rückruf", "hilft beim Sommerfest", nil]), ("consent_at", ["2025-03-26", nil]),
            ]
            : [
                ("title", titles), ("description", ["Offenes Treffen", nil]), ("starts_at", ["2025-09-25T17:00"]),
                ("ends_at", ["2025-09-25T19:00", nil]), ("location", locations),
                ("handlungsfeld", Handlungsfeld.allCases.map(\.rawValue)),
                ("status", ["planned", "held", "cancelled"]),
            ]
        let (column, values) = choices.randomElement(using: &rng)!
        return (column, values.randomElement(using: &rng)!)
    }

    // MARK: Edits

    func visible(_ replica: Replica, _ table: SyncTable) throws -> [String] {
        try replica.database.read { try String.fetchAll($0, sql: "SELECT id FROM \(table.rawValue) ORDER BY id") }
    }

    func edit(_ index: Int) throws {
        let office = offices[index]
        let replica = office.replica
        let table: SyncTable = Bool.random(using: &rng) ? .contacts : .activities
        let ids = try visible(replica, table)
        let roll = Int.random(in: 0..<10, using: &rng)
        if ids.isEmpty || roll < 3 {
            let quartier = (office.scope + [Quartier.shared]).randomElement(using: &rng)!
            var values: [String: String?] = ["quartier": quartier]
            if table == .contacts {
                values["name"] = Self.names.randomElement(using: &rng)!
                values["phone"] = Self.phones.randomElement(using: &rng)!
                values["email"] = "p\(seed)-s\(stepIndex)@example.org"
            } else {
                values["title"] = Self.titles.randomElement(using: &rng)!
                values["starts_at"] = "2025-0\(Int.random(in: 3...9, using: &rng))-16T14:00"
                values["handlungsfeld"] = Handlungsfeld.allCases.randomElement(using: &rng)!.rawValue
            }
            let row = try replica.insert(table, values: values)
            trace("\(office.name) inserts \(table)/\(row.id!.suffix(12)) in \(quartier)")
            if let email = values["email"] ?? nil { emails[RecordKey(table, row.id!)] = email }
            try note(replica, RecordKey(table, row.id!), fields: table.fields)
            return
        }
        let id = ids.randomElement(using: &rng)!
        let key = RecordKey(table, id)
        switch roll {
        case 3, 4:
            if Bool.random(using: &rng) {
                try replica.delete(table, id: id)
            } else {
                try replica.database.write {
                    try $0.execute(sql: "DELETE FROM \(table.rawValue) WHERE id = ?", arguments: [id])
                }
            }
            trace("\(office.name) deletes \(table)/\(id.suffix(12))")
            try note(replica, key, fields: [Conflict.existenceField])
        case 6 where table == .contacts:
            try erase(office, key)
        case 5:
            let quartier = Self.quartiere.randomElement(using: &rng)!
            trace("\(office.name) moves \(table)/\(id.suffix(12)) to \(quartier)")
            try change(replica, key, ["quartier": quartier])
        default:
            var changes: [String: String?] = [:]
            if table == .contacts {
                if Bool.random(using: &rng) { changes["name"] = Self.names.randomElement(using: &rng)! }
                changes["phone"] = Self.phones.randomElement(using: &rng)!
            } else {
                if Bool.random(using: &rng) { changes["title"] = Self.titles.randomElement(using: &rng)! }
                changes["location"] = Self.locations.randomElement(using: &rng)!
            }
            trace("\(office.name) edits \(table)/\(id.suffix(12)): \(changes.keys.sorted())")
            try change(replica, key, changes)
        }
    }

    /// Erases a contact: at the office (as `syncctl subject erase` does), or — after the
    /// restore, so that no restore loses the server's own write — through the server as an
    /// admin, when the server holds it.
    func erase(_ office: Office, _ key: RecordKey) throws {
        guard let email = emails[key] else { return }
        if stepIndex > restoreAt && Bool.random(using: &rng) {
            let result = try Command.run(
                Binaries.syncctl,
                [
                    "admin", "subject", "erase", key.id, "--reason", "Antrag \(stepIndex)", "--server", server.url,
                    "--token-file", adminToken,
                ],
                environment: ["HOME": workspace.path])
            trace("an admin erases \(key.table)/\(key.id.suffix(12)): exit \(result.status)")
            if result.status == 0 { erased[key] = email }
            return
        }
        try office.replica.erase(key.table, id: key.id, reason: "Antrag \(stepIndex)")
        trace("\(office.name) erases \(key.table)/\(key.id.suffix(12))")
        erased[key] = email
    }

    /// One UPDATE, through SyncCore or as plain SQL; notes the fields it wrote: those it
    /// changed, and through SyncCore also those it settled (a contested field written with the
    /// value shown), as the state says.
    func change(_ replica: Replica, _ key: RecordKey, _ changes: [String: String?]) throws {
        let before = try replica.state(of: key)?.context[replica.id]
        if Bool.random(using: &rng) {
            try replica.update(key.table, id: key.id, changes: changes)
        } else {
            let fields = changes.keys.sorted()
            let arguments: [(any DatabaseValueConvertible)?] = fields.map { changes[$0]! } + [key.id]
            try replica.database.write { db in
                try db.execute(
                    sql:
                        "UPDATE \(key.table.rawValue) SET \(fields.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                    arguments: StatementArguments(arguments))
            }
        }
        let state = try #require(try replica.state(of: key), "no state after a write; \(context)")
        let counter = state.context[replica.id]
        guard counter != before else { return }
        let dot = Dot(replica: replica.id, counter: counter)
        let written = state.fields.filter { $0.value.contains { $0.dot == dot } }.map(\.key)
        try note(replica, key, fields: written)
    }

    func note(_ replica: Replica, _ key: RecordKey, fields: [String]) throws {
        let state = try #require(try replica.state(of: key), "no state after a write; \(context)")
        let dot = Dot(replica: replica.id, counter: state.context[replica.id])
        contextAt[dot] = state.context
        shownRule.note(state, dot: dot)
        // Writes made before this one with no fold in between (workAsPeopleDo) had seen all
        // the state had seen, but this replica's later writes.
        for sibling in state.alive.map(\.dot) + state.fields.values.flatMap({ $0.map(\.dot) })
        where sibling.replica == replica.id && contextAt[sibling] == nil {
            var counters = state.context.counters
            counters[replica.id] = sibling.counter
            contextAt[sibling] = VersionVector(counters)
        }
        for field in fields { writes.append(Write(key: key, field: field, dot: dot)) }
    }

    /// Notes the writes that neither the backup nor any office holds: the restore loses them.
    func noteWritesHeldByNoOffice(backup: String) throws {
        let restored = try StateStore.open(at: backup)
        for write in writes {
            let held =
                try restored.state(of: write.key)?.context.covers(write.dot) == true
                || offices.contains { try $0.replica.state(of: write.key)?.context.covers(write.dot) == true }
            if !held { heldByNoOffice.insert(write.dot) }
        }
    }

    // MARK: Syncs

    func sync(_ index: Int) async throws {
        if proxies.count > 1 {
            // Through either server: both serve the one database.
            let through = Int.random(in: 0..<proxies.count, using: &rng)
            try offices[index].replica.setRemote(
                try Remote(server: "http://127.0.0.1:\(proxies[through].port)", token: tokens[index]))
            trace("\(offices[index].name) syncs through server \(through)")
        }
        let batchSize = [2, 5, 500].randomElement(using: &rng)!
        let deleting = Int.random(in: 0..<3, using: &rng) == 0 ? Int.random(in: 0..<offices.count, using: &rng) : nil
        do {
            // A short timeout: a stalled connection ends the sync in a second.
            let replica = offices[index].replica
            async let running = RemoteSync(batchSize: batchSize, timeout: 1).run(replica)
            // Somebody deletes a record while the sync runs: at this office, or at another.
            if let deleting { try await deleteWhileSyncing(at: deleting, syncing: index) }
            let summary = try await running
            trace(
                "\(offices[index].name) syncs: sent \(summary.sent), received \(summary.received), evicted \(summary.evicted), \(summary.recovery), refused \(summary.refused.map { "\($0.table)/\($0.id.suffix(12)) \($0.code)" })"
            )
        } catch let error as SyncError where error.code == .serverError && serverDiskFailing {
            // 503: the server's disk fails; nothing of the push was stored.
            trace("\(offices[index].name) sync failed on the server's failing disk")
            failedSyncs[error.code.name, default: 0] += 1
        } catch let error as SyncError where error.code == .serverError && stepIndex <= databaseRestartUntil {
            // 503: the database restarted under the server; nothing of the push was stored.
            trace("\(offices[index].name) sync failed on the restarting database")
            failedSyncs[error.code.name, default: 0] += 1
        } catch let error as SyncError where error.code == .serverUnreachable && Self.faultShare > 0 {
            // What a broken connection does to a sync: it stops, and the next one continues.
            trace("\(offices[index].name) sync failed on a broken connection")
            failedSyncs[error.code.name, default: 0] += 1
        } catch let error as SyncError {
            Issue.record("sync of \(offices[index].name) failed: \(error); \(context)")
        }
    }

    /// Deletes a record `offices[office]` shows, through plain SQL, while `offices[syncing]`
    /// syncs (a record the sync evicts meanwhile is not deleted).
    func deleteWhileSyncing(at office: Int, syncing: Int) async throws {
        let replica = offices[office].replica
        let table: SyncTable = Bool.random(using: &rng) ? .contacts : .activities
        guard let id = try visible(replica, table).randomElement(using: &rng) else { return }
        let deleted = try await replica.database.write { db in
            try db.execute(sql: "DELETE FROM \(table.rawValue) WHERE id = ?", arguments: [id])
            return db.changesCount
        }
        guard deleted == 1 else { return }
        trace("\(offices[office].name) deletes \(table)/\(id.suffix(12)) while \(offices[syncing].name) syncs")
        try note(replica, RecordKey(table, id), fields: [Conflict.existenceField])
    }

    /// `syncctl sync` in its own process, killed with SIGKILL after a seeded delay.
    func killedSync(_ index: Int) throws {
        let delay = useconds_t(Int.random(in: 0..<150_000, using: &rng))
        trace("\(offices[index].name) syncs as a process, killed after \(delay / 1000) ms")
        let process = try Command.launch(
            Binaries.syncctl, ["sync", "--batch-size", "2", "--replica", offices[index].path],
            environment: ["HOME": workspace.path])
        usleep(delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// `syncctl sync` in its own process on a failing disk: SQLite's writes and syncs fail at a
    /// seeded rate (libfiu). It either syncs or fails with a clear message (74, or 75/76 for
    /// the network and the server), never crashes, and leaves the replica whole.
    func syncOnFailingDisk(_ index: Int) throws {
        let probability = Double.random(in: 0.002...0.04, using: &rng)
        trace("\(offices[index].name) syncs as a process on a failing disk (p \(probability))")
        let faults = ["posix/io/rw/pwrite", "posix/io/sync/fsync", "posix/io/sync/fdatasync"].flatMap {
            ["-c", "enable_random name=\($0),probability=\(probability)"]
        }
        let result = try DiskFaultTests.runUnderFaults(
            faults,
            [Binaries.syncctl, "sync", "--batch-size", "5", "--timeout", "1", "--replica", offices[index].path],
            environment: ["HOME": workspace.path])
        officeDiskOutcomes[result.status, default: 0] += 1
        #expect([0, 74, 75, 76].contains(result.status), "\(result.status): \(result.error); \(context)")
        #expect(!result.error.contains("Fatal error"), "\(result.error); \(context)")
        let check = try Command.run("/usr/bin/sqlite3", [offices[index].path, "PRAGMA integrity_check"])
        #expect(check.output.hasPrefix("ok"), "\(offices[index].name): \(check.output); \(context)")
    }

    /// Turns the server's disk faults on (writes and syncs fail at `probability`) or off.
    func serverDisk(failing probability: Double?) {
        defer { serverDiskFailing = probability != nil }
        guard let pid = server.processIdentifier else { return }
        // A restarted server is a new process with no faults: nothing to turn off (and
        // libfiu's control would wait for an answer to a failed command).
        guard probability != nil || faultedServer == pid else { return }
        faultedServer = probability == nil ? nil : pid
        let commands = ["posix/io/rw/pwrite", "posix/io/sync/fsync", "posix/io/sync/fdatasync"].flatMap { name in
            ["-c", probability.map { "enable_random name=\(name),probability=\($0)" } ?? "disable name=\(name)"]
        }
        _ = try? Command.run(DiskFaultTests.fiuCtrl, commands + [String(pid)])
    }

    func finalRound() async throws {
        serverDisk(failing: nil)
        if !officeDiskOutcomes.isEmpty {
            print("seed \(seed): syncs on a failing office disk ended \(officeDiskOutcomes.sorted { $0.key < $1.key })")
        }
        for proxy in proxies {
            proxy.heal()
            print(
                "seed \(seed): network faults \(proxy.counts.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }) in \(proxy.connections) connections; syncs failed on them: \(failedSyncs.values.reduce(0, +))"
            )
        }
        // Rounds until nothing waits to be handed over to an office that serves its Quartier
        // (a record leaves its old office two syncs of the new one after its last push; a
        // resend after the restore pushes it again), three at least, eight at most.
        for round in 0..<8 {
            for office in offices {
                do {
                    trace("final sync of \(office.name)")
                    _ = try await RemoteSync(batchSize: 50, timeout: 20).run(office.replica)
                } catch {
                    Issue.record("final sync of \(office.name) failed: \(error); \(context)")
                }
            }
            if round >= 2, try !handingOverToServedQuartiere() { break }
        }
    }

    /// Whether an office still keeps a record for a Quartier some office serves.
    func handingOverToServedQuartiere() throws -> Bool {
        try offices.contains { office in
            try office.replica.database.read { try String.fetchAll($0, sql: "SELECT route FROM _sync_leaving") }
                .contains { route in route.isEmpty || offices.contains { Quartier.scope($0.scope, covers: route) } }
        }
    }

    // MARK: Checks

    /// A row as the server's state says an office must show it.
    func checkConverged() async throws {
        let states = try await server.storedStates()
        let byKey = Dictionary(uniqueKeysWithValues: states.map { ($0.key, $0) })
        // What the server knows of the offices' holdings, for the messages below.
        let serverConflicts: Set<String>
        let holds: String
        if postgres != nil {
            let store = RunningPostgresStore(
                try await PostgresServerStore.open(try PostgresSettings(url: server.database), deadline: nil))
            serverConflicts = Set(try await store.conflicts(within: nil).map(\.id))
            holds = "\(try await store.officeOverviews().map { "\($0.name): \($0.lastResult ?? "-")" })"
        } else {
            let store = try StateStore.open(at: server.database)
            serverConflicts = Set(try await store.conflicts(within: nil).map(\.id))
            holds = "\(try store.read { try Row.fetchAll($0, sql: "SELECT office, holds_to FROM _server_activity") })"
        }
        // Records an office holds that the server refused to take from it. A restored server can
        // hold a record in an older Quartier than the offices that received it since: they may
        // not write it back (WriteScope) and keep it, marked. Such a record is never one the
        // server routes into the office's Quartiere, and it holds every write the server lost.
        var refused: [String: Set<RecordKey>] = [:]
        var refusedStates: [RecordState] = []
        for office in offices {
            let keys = try office.replica.refusedWrites().map { RecordKey(SyncTable(rawValue: $0.table)!, $0.id) }
            for key in keys {
                #expect(
                    !Quartier.scope(office.scope, covers: byKey[key]?.route),
                    "\(office.name) was refused \(key), which the server routes to its Quartiere; \(context)")
                if let state = try office.replica.state(of: key) { refusedStates.append(state) }
            }
            refused[office.name] = Set(keys)
        }
        // Records an office keeps because no office serves their Quartier (the Altstadt office
        // handed Altstadt over and nobody took it): they stay where they are, and only there.
        var kept: [String: Set<RecordKey>] = [:]
        for office in offices {
            let rows = try office.replica.database.read {
                try Row.fetchAll($0, sql: "SELECT tbl, id, route, unserved, after FROM _sync_leaving")
            }
            for row in rows {
                let route: String = row[2]
                let key = RecordKey(SyncTable(rawValue: row[0])!, row[1])
                let holders = try offices.filter { try $0.replica.state(of: key) != nil }.map(\.name)
                #expect(
                    row[3] as Bool && !route.isEmpty && !offices.contains { Quartier.scope($0.scope, covers: route) },
                    "\(office.name) still hands over \(key) of \(route) (after \(row[4] as Int64)), which an office serves: server state route \(byKey[key]?.route ?? "none"), held by \(holders), server knows \(holds); \(context)"
                )
                kept[office.name, default: []].insert(RecordKey(SyncTable(rawValue: row[0])!, row[1]))
            }
        }
        for (name, keys) in kept { refused[name, default: []].formUnion(keys) }
        if !kept.isEmpty {
            print(
                "seed \(seed): \(kept.values.map(\.count).reduce(0, +)) record(s) kept for a Quartier no office serves")
        }
        let anyRefused = Set(refused.values.joined())
        var seen: [[String]: (rows: [[RecordValues]], conflicts: [String])] = [:]
        for office in offices {
            let replica = office.replica
            let own = refused[office.name] ?? []
            #expect(try replica.status().pendingChanges == 0, "\(office.name) still has pending changes; \(context)")
            let routes = try await replica.database.read {
                try Row.fetchAll($0, sql: "SELECT tbl, id, quartier FROM _sync_records")
                    .filter { !own.contains(RecordKey(SyncTable(rawValue: $0[0])!, $0[1])) }.map { $0[2] as String? }
            }
            #expect(
                routes.allSatisfy { Quartier.scope(office.scope, covers: $0) },
                "\(office.name) stores records outside \(office.scope): \(Set(routes.map { $0 ?? "NULL" })); \(context)"
            )
            var tables: [[RecordValues]] = []
            for table in SyncTable.allCases {
                let rows = try replica.records(table).filter { !anyRefused.contains(RecordKey(table, $0.id!)) }
                tables.append(rows)
                #expect(
                    rows.allSatisfy { Quartier.scope(office.scope, covers: $0["quartier"]) },
                    "\(office.name) shows \(table) outside its Quartiere; \(context)")
                let expected = states.filter {
                    $0.table == table && $0.isVisible && Quartier.scope(office.scope, covers: $0.route)
                        && !anyRefused.contains($0.key)
                }
                let shown = Dictionary(uniqueKeysWithValues: rows.map { ($0.id!, $0) })
                #expect(
                    Set(shown.keys) == Set(expected.map(\.id)),
                    "\(office.name) shows other \(table) than the server holds for its Quartiere: extra \(Set(shown.keys).subtracting(expected.map(\.id))), missing \(Set(expected.map(\.id)).subtracting(shown.keys)); \(context)"
                )
                for state in expected where shown[state.id] != nil {
                    #expect(
                        shown[state.id] == state.shownRow,
                        "\(office.name) shows \(state.key) otherwise than the server holds it; \(context)")
                }
            }
            // A record the server refused (kept at the office, marked) may carry a conflict the
            // server never saw: like its rows, it is left out.
            let conflicts = try replica.conflicts().filter { !anyRefused.contains(RecordKey($0.table, $0.recordID)) }
                .map(\.id).sorted()
            #expect(
                Set(conflicts).isSubset(of: serverConflicts),
                "\(office.name) shows conflicts the server has not; \(context)")
            if let other = seen[office.scope] {
                #expect(other.rows == tables, "offices serving \(office.scope) show different rows; \(context)")
                #expect(
                    other.conflicts == conflicts, "offices serving \(office.scope) show different conflicts; \(context)"
                )
            }
            seen[office.scope] = (tables, conflicts)
        }
        // An office lets a moved record go only once an office of its Quartier holds it (a
        // record another office moved away, with an edit of its own, once every Quartier's
        // offices do): a restore finds every write at some office or in the backup.
        #expect(
            heldByNoOffice.isEmpty,
            "\(heldByNoOffice.count) write(s) existed only on the server when it was restored; \(context)")
        if !anyRefused.isEmpty {
            print(
                "seed \(seed): \(anyRefused.count) record(s) kept at offices, refused by the server (restored, or the office re-scoped)"
            )
        }
        // Each field shows a value one of its versions holds; a version is erased only where a
        // delete had seen it (issue #24).
        var heldOverErased = 0
        for state in states where state.isVisible && !anyRefused.contains(state.key) {
            let (found, count) = shownRule.complaints(state, row: state.shownRow)
            #expect(found.isEmpty, "\(found); \(context)")
            heldOverErased += count
        }
        if heldOverErased > 0 {
            print("seed \(seed): \(heldOverErased) field(s) show a held value over a later erased one")
        }
        try checkErased(byKey, refused: anyRefused)
        for write in writes {
            // An erasure drops every write to the record, those made without seeing it too (an
            // office that let the record go after carrying the erasure out does not send them);
            // that nothing of it survives is what checkErased checks.
            if erased[write.key] != nil { continue }
            if refusedStates.contains(where: { $0.key == write.key && keeps($0, write) }) { continue }
            // A record the server never took (refused), deleted since by the office that made
            // it, reached nobody and is shown nowhere: nothing of it is lost.
            if byKey[write.key] == nil,
                try offices.allSatisfy({ try $0.replica.state(of: write.key)?.isVisible != true })
            {
                continue
            }
            if !(byKey[write.key].map { keeps($0, write) } ?? false) {
                // What the offices hold of the record, for the report.
                for office in offices {
                    let held = try office.replica.state(of: write.key)
                    let log = try office.replica.database.read {
                        try Row.fetchAll(
                            $0, sql: "SELECT seq, op FROM _sync_log WHERE tbl = ? AND row_id = ?",
                            arguments: [write.key.table.rawValue, write.key.id])
                    }
                    let marks = try office.replica.refusedWrites().filter { $0.id == write.key.id }
                    print(
                        "seed \(seed): \(office.name) holds \(write.key): \(held.map { "\($0.context) visible \($0.isVisible)" } ?? "no state"), log \(log), marks \(marks.map(\.code))"
                    )
                }
            }
            let state = try #require(byKey[write.key], "\(write.key) never reached the server; \(context)")
            #expect(state.context.covers(write.dot), "write \(write.dot) never reached the server; \(context)")
            #expect(keeps(state, write), "write \(write.dot) to \(write.field) of \(write.key) was lost; \(context)")
        }
    }

    /// Every erased contact is erased at the server and every office that holds it, shows
    /// nowhere, and its e-mail address is in no byte of any file.
    /// An erasure the server refused (a restored server routes the record outside the erasing
    /// office's Quartiere now, so that office may not write it) stays at that office, marked,
    /// like any refused write: only an admin's erasure reaches the record then.
    func checkErased(_ byKey: [RecordKey: RecordState], refused: Set<RecordKey>) throws {
        guard !erased.isEmpty else { return }
        let refusedErasures = erased.keys.filter(refused.contains)
        print("seed \(seed): \(erased.count) contact(s) erased, \(refusedErasures.count) of them refused by the server")
        // A PostgreSQL store's files are the database's (docs/data-protection.md, "PostgreSQL").
        let files = offices.map(\.path) + (postgres == nil ? [server.database] : [])
        for (key, email) in erased where !refused.contains(key) {
            // A record the server never took (refused at its office, then erased there)
            // reached nobody: the checks below still hold.
            if let state = byKey[key] {
                #expect(state.isErased, "the server does not hold \(key) erased; \(context)")
            }
            for office in offices {
                let state = try office.replica.state(of: key)
                #expect(state == nil || state!.isErased, "\(office.name) holds \(key) not erased; \(context)")
                #expect(
                    try office.replica.records(.contacts).allSatisfy { $0.id != key.id },
                    "\(office.name) shows erased \(key); \(context)")
            }
            for path in files {
                for suffix in ["", "-wal", "-shm"] {
                    guard let bytes = FileManager.default.contents(atPath: path + suffix) else { continue }
                    #expect(
                        bytes.range(of: Data(email.utf8)) == nil,
                        "\((path as NSString).lastPathComponent)\(suffix) holds erased \(key)'s e-mail; \(context)")
                }
            }
        }
    }

    /// Whether `state` holds `write`: as a version of its field, or covered by a later write.
    func keeps(_ state: RecordState, _ write: Write) -> Bool {
        guard state.context.covers(write.dot) else { return false }
        let dots: [Dot] =
            write.field == Conflict.existenceField
            ? state.alive.map(\.dot) : (state.fields[write.field] ?? []).map(\.dot)
        return dots.contains(write.dot) || dots.contains { contextAt[$0]?.covers(write.dot) == true }
    }
}
