import Foundation
import Logging
import SyncCore
import SyncKernel
import SyncProtocol
import SyncRemote
import SyncServer
import SyncStore
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension SyncServerProcess {
    /// A real `sync-server` on a free loopback port, with its store in `workspace` (SQLite) or
    /// in a new database of the test cluster (PostgreSQL).
    static func start(
        in workspace: TemporaryDirectory, store: StoreKind = .sqlite, arguments: [String] = [], launcher: [String] = []
    ) throws -> SyncServerProcess {
        try start(
            binary: Binaries.server, database: try store.newStore(in: workspace), arguments: arguments,
            launcher: launcher)
    }
}

/// A PostgreSQL store whose client runs while the store is referenced: the last reference
/// gone (the test's fixture), the client stops and closes its connections.
final class RunningPostgresStore: ServerStore {
    let store: PostgresServerStore
    private let running: Task<Void, Never>

    init(_ store: PostgresServerStore) {
        self.store = store
        running = Task.detached { await store.client.run() }
    }

    deinit { running.cancel() }

    var storeID: String { store.storeID }
    func push(
        _ batch: ChangeBatch, key: String?, from office: Office, replica: ReplicaID?, validator: StateValidator
    ) async throws -> PushReceipt {
        try await store.push(batch, key: key, from: office, replica: replica, validator: validator)
    }
    func session(for office: Office, replica: ReplicaID?) async throws -> Session {
        try await store.session(for: office, replica: replica)
    }
    func reportRecovery(from office: Office) async throws -> (epoch: Int64, raised: Bool) {
        try await store.reportRecovery(from: office)
    }
    func pull(since cursor: Int64, limit: Int, for office: Office) async throws -> EncodedBatch {
        try await store.pull(since: cursor, limit: limit, for: office)
    }
    func office(forToken token: String) async throws -> Office? { try await store.office(forToken: token) }
    func addOffice(name: String, quartiers: [String]) async throws -> (Office, token: String?) {
        try await store.addOffice(name: name, quartiers: quartiers)
    }
    func offices() async throws -> [Office] { try await store.offices() }
    func revokeOffice(name: String) async throws { try await store.revokeOffice(name: name) }
    func addAdmin(name: String) async throws -> String { try await store.addAdmin(name: name) }
    func revokeAdmin(name: String) async throws { try await store.revokeAdmin(name: name) }
    func admin(forToken token: String) async throws -> String? { try await store.admin(forToken: token) }
    func conflicts(within quartiers: [String]?) async throws -> [Conflict] {
        try await store.conflicts(within: quartiers)
    }
    func conflict(id: String, within quartiers: [String]?) async throws -> Conflict {
        try await store.conflict(id: id, within: quartiers)
    }
    func resolve(_ id: String, _ decision: ConflictDecision, reason: String, by decider: String) async throws
        -> Resolution
    { try await store.resolve(id, decision, reason: reason, by: decider) }
    func erase(_ key: RecordKey, reason: String, by admin: String) async throws -> ErasureOrder {
        try await store.erase(key, reason: reason, by: admin)
    }
    func outstandingErasures(for office: Office, everywhere: Bool) async throws -> ChangeBatch {
        try await store.outstandingErasures(for: office, everywhere: everywhere)
    }
    func erasures() async throws -> [ErasureStatus] { try await store.erasures() }
    func setRetention(_ rules: RetentionRules) async throws { try await store.setRetention(rules) }
    func retention() async throws -> RetentionReport { try await store.retention() }
    func applyRetention(reason: String, by admin: String) async throws -> [ErasureOrder] {
        try await store.applyRetention(reason: reason, by: admin)
    }
    func subjectReport(id: String?, email: String?, phone: String?) async throws -> SubjectReport {
        try await store.subjectReport(id: id, email: email, phone: phone)
    }
    func officeOverviews() async throws -> [OfficeOverview] { try await store.officeOverviews() }
    func note(_ event: SyncEvent, of office: Office) async throws { try await store.note(event, of: office) }
}

/// The server store a test runs against: both where PostgreSQL is installed
/// (``TestPostgres``), SQLite alone otherwise — and then the suite "PostgreSQL store" says
/// why, in its skipped test.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var all: [StoreKind] { TestPostgres.cluster == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue == "sqlite" ? "SQLite" : "PostgreSQL" }

    /// A new, empty store opened in this process: on a file in `workspace`, or on a new
    /// database whose client runs for the rest of the test run.
    func openInProcess(in workspace: TemporaryDirectory) async throws -> any ServerStore {
        switch self {
        case .sqlite: return try SQLiteServerStore(path: workspace.file("server.sqlite"), logger: Logger(label: "test"))
        case .postgres:
            // No deadline: in a test run, other tests' processes may hold this one's threads.
            let store = try await PostgresServerStore.open(
                try PostgresSettings(url: try newStore(in: workspace)), migration: .apply, deadline: nil)
            return RunningPostgresStore(store)
        }
    }

    /// A new, empty store: a file path in `workspace`, or a new database's URL.
    func newStore(in workspace: TemporaryDirectory) throws -> String {
        switch self {
        case .sqlite: return workspace.path + "/server.sqlite"
        case .postgres:
            guard let cluster = TestPostgres.cluster else { throw CommandError("no PostgreSQL cluster") }
            return try cluster.newDatabase()
        }
    }
}

extension SyncServerProcess {
    /// The state the server's store holds of `key`, read straight from its SQLite file or its
    /// PostgreSQL database (with psql), not through the server.
    func storedState(of key: RecordKey) throws -> RecordState? {
        guard database.hasPrefix("postgres://") else { return try StateStore.open(at: database).state(of: key) }
        return try storedStates(where: "tbl = '\(key.table.rawValue)' AND id = '\(key.id)'").first
    }

    /// Every state the server's store holds, in feed order, read straight from its file or
    /// database.
    func storedStates() async throws -> [RecordState] {
        guard database.hasPrefix("postgres://") else {
            return try await StateStore.open(at: database).changes(since: 0, limit: 1_000_000).records
        }
        return try storedStates(where: "true")
    }

    /// The states of a PostgreSQL store matching `condition`, read with psql.
    private func storedStates(where condition: String) throws -> [RecordState] {
        let cluster = PostgresCluster(url: String(database[..<database.lastIndex(of: "/")!]), dataDirectory: nil)
        let output = try cluster.sql(
            "SELECT encode(state, 'hex') FROM _sync_records WHERE \(condition) ORDER BY seq",
            database: String(database[database.index(after: database.lastIndex(of: "/")!)...]))
        return try output.split(separator: "\n").map { line in
            // psql wraps nothing with -A; bytea's hex has no line breaks.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(line.count / 2)
            var index = line.startIndex
            while index < line.endIndex {
                let next = line.index(index, offsetBy: 2)
                bytes.append(UInt8(line[index..<next], radix: 16)!)
                index = next
            }
            return try RecordState(encoded: bytes)
        }
    }
}

/// One office: its replica file, driven through the real `syncctl`.
struct OfficeReplica {
    let name: String
    let path: String
    let home: String

    /// Registers the office on `server` and makes its replica with `syncctl init` (and
    /// `initArguments`, such as `--ca-file`).
    init(
        _ name: String, directory: String, server: SyncServerProcess, quartiers: [String],
        initArguments: [String] = []
    ) throws {
        self.name = name
        path = directory + "/" + name.lowercased().filter(\.isLetter) + ".sqlite"
        home = directory
        let token = try server.addOffice(name, quartiers: quartiers)
        let tokenFile = directory + "/" + name.filter(\.isLetter) + ".token"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let result = try syncctl(
            ["init", "--office", name, "--server", server.url, "--token-file", tokenFile] + initArguments)
        #expect(result.status == 0, "\(result.error)")
    }

    @discardableResult
    func syncctl(_ arguments: [String], input: String? = nil) throws -> Command.Result {
        try Command.run(
            Binaries.syncctl, arguments + ["--replica", path],
            environment: ["HOME": home, "XDG_DATA_HOME": home + "/data"], input: input)
    }

    /// Starts `syncctl ARGS` without waiting (to kill it).
    func launch(_ arguments: [String]) throws -> Process {
        try Command.launch(Binaries.syncctl, arguments + ["--replica", path], environment: ["HOME": home])
    }

    func sync() throws -> [String: Any] {
        let result = try syncctl(["sync", "--json"])
        #expect(result.status == 0, "sync of \(name) failed: \(result.error)")
        return try result.object()
    }

    func status() throws -> [String: Any] { try syncctl(["status", "--json"]).object() }

    func replica() throws -> Replica { try Replica.open(at: path) }

    func contacts() throws -> [RecordValues] { try replica().records(.contacts) }
}
