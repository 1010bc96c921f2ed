import Foundation
import ProcessHarness
import SyncCore
import SyncKernel
import SyncRemote
import SyncStore

/// The measurements. Each builds what it needs in `directory` and times only the step it names.
struct Bench: Sendable {
    let directory: String
    let binaries: Executables
    let seed: UInt64
    let changes: Int
    let randomIDs: Bool
    let log: @Sendable (String) -> Void

    func contacts(count: Int, salt: UInt64) -> [RecordValues] {
        var generator = RecordGenerator(seed: seed &+ salt, randomIDs: randomIDs)
        return (0..<count).map { generator.contact(index: $0) }
    }

    /// capture: rows inserted through SyncCore (validation, triggers, change log), one
    /// transaction; fold: the log turned into record states; apply: those states merged into a
    /// fresh replica page by page (1,000 states a page), as a pull would.
    func captureAndApply(rows: [RecordValues], run: Int) async throws -> (capture: Double, fold: Double, apply: Double)
    {
        let source = try Replica.create(at: directory + "/capture-\(run).sqlite", office: "Kuckuck")
        var start = DispatchTime.now()
        try source.insert(.contacts, contentsOf: rows)
        let capture = Double(rows.count) / Clock.seconds(since: start)

        start = DispatchTime.now()
        _ = try source.changes(since: 0, limit: 1)  // folds the whole log
        let fold = Double(rows.count) / Clock.seconds(since: start)

        var pages: [ChangeBatch] = []
        var cursor: Int64 = 0
        while true {
            let page = try source.changes(since: cursor, limit: 1000)
            if page.records.isEmpty { break }
            pages.append(page)
            cursor = page.cursor
        }
        let target = try Replica.create(at: directory + "/apply-\(run).sqlite", office: "Altstadt")
        start = DispatchTime.now()
        for page in pages { try await target.apply(page, from: .upstream(peer: "bench")) }
        let apply = Double(rows.count) / Clock.seconds(since: start)
        return (capture, fold, apply)
    }

    struct EndToEnd {
        var initialSeconds: Double
        var initialBytes: Int
        var incrementalMs: Double
        var clientPeakMB: Double
        var serverPeakMB: Double
    }

    /// A real sync-server holding `size` records; a new office replica pulls them all with
    /// `syncctl sync` (initial), another office pushes `changes` new contacts, and the first
    /// syncs again (incremental). Times are syncctl's own `durationMs`.
    func endToEnd(size: Int) async throws -> EndToEnd {
        let database = directory + "/server-\(size).sqlite"
        try await seedServer(database: database, size: size)
        let server = try SyncServerProcess.start(binary: binaries.server, database: database)
        defer { server.stop() }
        let token = try server.addOffice(
            "Kuckuck \(size)", quartiers: ["*", "kuckuck", "altstadt", "nordstadt", "suedstadt"])
        let replica = directory + "/office-\(size).sqlite"
        // Set up in process; only the timed syncs run as separate syncctl processes.
        try Replica.create(at: replica, office: "Kuckuck").setRemote(try Remote(server: server.url, token: token))
        let initial = try syncctl(replica)

        let writerToken = try server.addOffice("Altstadt \(size)", quartiers: ["kuckuck"])
        let writer = try Replica.inMemory(office: "Altstadt")
        try writer.setRemote(try Remote(server: server.url, token: writerToken))
        try writer.insert(
            .contacts,
            contentsOf: contacts(count: changes, salt: UInt64(size) &+ 7).map { row in
                var row = row
                row.remove(column: 0)
                row["quartier"] = "kuckuck"
                return row
            })
        _ = try await RemoteSync().run(writer)
        let incremental = try syncctl(replica)
        guard incremental.received >= changes else {
            throw BenchError("incremental sync received \(incremental.received) of \(changes) changes")
        }
        return EndToEnd(
            initialSeconds: initial.ms / 1000, initialBytes: initial.bytes, incrementalMs: incremental.ms,
            clientPeakMB: max(initial.peakMB, incremental.peakMB),
            serverPeakMB: Memory.peakMB(pid: server.processIdentifier ?? 0))
    }

    /// Fills a server store in process (SyncCore, no HTTP) with `size` contacts.
    private func seedServer(database: String, size: Int) async throws {
        let store = try StateStore.create(at: database, name: "sync-server")
        let source = try Replica.create(at: directory + "/seed-\(size).sqlite", office: "LAG")
        var generator = RecordGenerator(seed: seed &+ UInt64(size), randomIDs: randomIDs)
        var done = 0
        while done < size {
            let count = min(50_000, size - done)
            try source.insert(.contacts, contentsOf: (0..<count).map { generator.contact(index: done + $0) })
            done += count
            // Loading only: the states go straight into the store, as a push would put them.
            var batch: ChangeBatch
            repeat {
                batch = try source.outgoing(limit: 2000)
                if !batch.records.isEmpty { try await store.apply(batch, from: .downstream(acknowledging: nil)) }
                try source.acknowledge(upTo: batch.cursor)
            } while batch.hasMore
        }
        try? FileManager.default.removeItem(atPath: directory + "/seed-\(size).sqlite")
    }

    struct SyncRun {
        var ms: Double
        var bytes: Int
        var received: Int
        var peakMB: Double
    }

    /// `syncctl sync --json` in its own process, sampling its peak RSS while it runs.
    func syncctl(_ replica: String) throws -> SyncRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaries.syncctl)
        process.arguments = ["sync", "--json", "--replica", replica, "--batch-size", "2000"]
        let outputPath = replica + ".sync.json"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        try process.run()
        var peak = 0.0
        while process.isRunning {
            peak = max(peak, Memory.peakMB(pid: process.processIdentifier))
            usleep(2000)
        }
        process.waitUntilExit()
        try output.close()
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        guard process.terminationStatus == 0,
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw BenchError("syncctl sync failed (exit \(process.terminationStatus))") }
        return SyncRun(
            ms: Double(json["durationMs"] as? Int ?? 0), bytes: json["bytesReceived"] as? Int ?? 0,
            received: json["received"] as? Int ?? 0, peakMB: peak)
    }

    struct ServerFigures {
        var changesPerSecond: Double
        var p99Ms: Double
        var serverPeakMB: Double
        /// Push and pull requests answered per second, and each one's p99 (ms).
        var pushesPerSecond = 0.0
        var pullsPerSecond = 0.0
        var pushP99Ms = 0.0
        var pullP99Ms = 0.0
    }

    /// One configuration of the server figures: which store, how many offices, how many servers.
    struct ServerRun: Sendable {
        /// nil: SQLite; else the PostgreSQL cluster the run makes a new database in.
        var postgres: PostgresCluster?
        var offices: Int
        var servers: Int
        /// New contacts each office pushes.
        var contactsPerOffice = 200
        /// Every office pushes first, then every office pulls, each phase timed on its own (the
        /// side-by-side figures); otherwise each office pushes, then pulls, on its own.
        var phased = false

        var label: String { "\(postgres == nil ? "sqlite" : "postgres") offices=\(offices) servers=\(servers)" }
    }

    /// How long the concurrent phase may take (it takes seconds on a 2-core machine).
    static let concurrentDeadline: Double = 300

    /// `count` offices at once, each pushing 200 new contacts in pages of 50 and pulling its
    /// Quartier's changes in pages of 500, against one server. Latency is per request.
    /// - Throws: `BenchError` when they have not finished after ``concurrentDeadline``.
    func concurrentOffices(count: Int) async throws -> ServerFigures {
        try await concurrentOffices(ServerRun(postgres: nil, offices: count, servers: 1))
    }

    /// As ``concurrentOffices(count:)`` for `run`: on SQLite (one server), or on a new
    /// PostgreSQL database served by `run.servers` servers, office `i` talking to server
    /// `i % servers`.
    func concurrentOffices(_ run: ServerRun) async throws -> ServerFigures {
        let count = run.offices
        let database = try run.postgres?.newDatabase() ?? directory + "/server-concurrent-\(UUID().uuidString).sqlite"
        let servers = try (0..<max(1, run.servers)).map { _ in
            try SyncServerProcess.start(binary: binaries.server, database: database)
        }
        defer { for server in servers { server.stop() } }
        let server = servers[0]
        let quartiere = RecordGenerator.quartiere
        var clients: [(Replica, SyncClient)] = []
        for index in 0..<count {
            let quartier = quartiere[index % quartiere.count]
            let token = try server.addOffice("Office \(index)", quartiers: [quartier])
            let replica = try Replica.inMemory(office: "Office \(index)")
            try replica.insert(
                .contacts,
                contentsOf: contacts(count: run.contactsPerOffice, salt: UInt64(index) &+ 99).map { row in
                    var row = row
                    row.remove(column: 0)
                    row["quartier"] = quartier
                    return row
                })
            let through = servers[index % servers.count]
            clients.append((replica, try SyncClient(remote: try Remote(server: through.url, token: token))))
        }
        if run.phased { return try await phased(clients, servers: servers) }
        let start = DispatchTime.now()
        let results = try await withThrowingTaskGroup(of: (Int, [Double], [Double]).self) { group in
            for (replica, client) in clients {
                group.addTask {
                    var moved = 0
                    var pushes: [Double] = []
                    var pulls: [Double] = []
                    while true {
                        let batch = try replica.outgoing(limit: 50)
                        if batch.records.isEmpty { break }
                        let begin = DispatchTime.now()
                        _ = try await client.push(batch, key: UUID().uuidString)
                        pushes.append(Clock.seconds(since: begin) * 1000)
                        try replica.acknowledge(upTo: batch.cursor)
                        moved += batch.records.count
                    }
                    var cursor: Int64 = 0
                    while true {
                        let begin = DispatchTime.now()
                        let page = try await client.pull(since: cursor, limit: 500)
                        pulls.append(Clock.seconds(since: begin) * 1000)
                        moved += page.records.count
                        cursor = page.cursor
                        if !page.hasMore { break }
                    }
                    return (moved, pushes, pulls)
                }
            }
            // A server that stops answering (a deadlock under load, as once found here) ends the
            // run with a message instead of holding it for ever.
            let deadline = Self.concurrentDeadline
            group.addTask {
                try await Task.sleep(for: .seconds(deadline))
                throw BenchError(
                    "\(count) offices at once did not finish within \(Int(deadline)) s: the server stopped answering")
            }
            var all: [(Int, [Double], [Double])] = []
            while all.count < clients.count, let result = try await group.next() { all.append(result) }
            group.cancelAll()
            return all
        }
        let seconds = Clock.seconds(since: start)
        func p99(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        }
        let pushes = results.flatMap(\.1)
        let pulls = results.flatMap(\.2)
        return ServerFigures(
            changesPerSecond: Double(results.map(\.0).reduce(0, +)) / seconds, p99Ms: p99(pushes + pulls),
            serverPeakMB: servers.map { Memory.peakMB(pid: $0.processIdentifier ?? 0) }.max() ?? 0,
            pushesPerSecond: Double(pushes.count) / seconds, pullsPerSecond: Double(pulls.count) / seconds,
            pushP99Ms: p99(pushes), pullP99Ms: p99(pulls))
    }

    /// Every office pushes all it has (timed), then every office pulls its Quartier (timed).
    private func phased(_ clients: [(Replica, SyncClient)], servers: [SyncServerProcess]) async throws
        -> ServerFigures
    {
        func p99(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        }
        let pushStart = DispatchTime.now()
        let pushed = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
            for (replica, client) in clients {
                group.addTask {
                    var moved = 0
                    var latencies: [Double] = []
                    while true {
                        let batch = try replica.outgoing(limit: 50)
                        if batch.records.isEmpty { break }
                        let begin = DispatchTime.now()
                        _ = try await client.push(batch, key: UUID().uuidString)
                        latencies.append(Clock.seconds(since: begin) * 1000)
                        try replica.acknowledge(upTo: batch.cursor)
                        moved += batch.records.count
                    }
                    return (moved, latencies)
                }
            }
            return try await group.reduce(into: [(Int, [Double])]()) { $0.append($1) }
        }
        let pushSeconds = Clock.seconds(since: pushStart)
        let pullStart = DispatchTime.now()
        let pulled = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
            for (_, client) in clients {
                group.addTask {
                    var moved = 0
                    var latencies: [Double] = []
                    var cursor: Int64 = 0
                    while true {
                        let begin = DispatchTime.now()
                        let page = try await client.pull(since: cursor, limit: 500)
                        latencies.append(Clock.seconds(since: begin) * 1000)
                        moved += page.records.count
                        cursor = page.cursor
                        if !page.hasMore { break }
                    }
                    return (moved, latencies)
                }
            }
            return try await group.reduce(into: [(Int, [Double])]()) { $0.append($1) }
        }
        let pullSeconds = Clock.seconds(since: pullStart)
        let pushes = pushed.flatMap(\.1)
        let pulls = pulled.flatMap(\.1)
        return ServerFigures(
            changesPerSecond: Double((pushed + pulled).map(\.0).reduce(0, +)) / (pushSeconds + pullSeconds),
            p99Ms: p99(pushes + pulls),
            serverPeakMB: servers.map { Memory.peakMB(pid: $0.processIdentifier ?? 0) }.max() ?? 0,
            pushesPerSecond: Double(pushes.count) / pushSeconds, pullsPerSecond: Double(pulls.count) / pullSeconds,
            pushP99Ms: p99(pushes), pullP99Ms: p99(pulls))
    }
}
