import Foundation
import SyncCore
import SyncKernel
import TestSupport
import Testing

/// What a nightly run needs: retries while the server is down, every attempt in the log, and
/// a status that warns when syncs stop succeeding.
@Suite("Unattended syncs", .serialized)
struct UnattendedSyncTests {
    @Test("sync --retry waits for a server that comes up late, and logs every attempt")
    func retryUntilTheServerIsUp() throws {
        let workspace = TemporaryDirectory("quartiersync-retry")
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let office = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        try office.syncctl(["contact", "add", "--name", "Mara Beispiel", "--quartier", "kuckuck"])
        server.stop()

        let syncing = try office.launch(["sync", "--retry", "8", "--retry-base", "1s", "--retry-window", "5m"])
        // The server comes up once an attempt has failed and is in the log (a fixed sleep let a
        // slow start of syncctl find the server up already).
        var failedAttempts = 0
        for _ in 0..<600 where failedAttempts == 0 && syncing.isRunning {
            let log = try office.syncctl(["log", "--json"]).json() as? [[String: Any]] ?? []
            failedAttempts = log.filter { $0["result"] as? String == "server-unreachable" }.count
            if failedAttempts == 0 { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(failedAttempts > 0, "no failed attempt was logged while the server was down")
        try server.restart()
        syncing.waitUntilExit()
        #expect(syncing.terminationStatus == 0)

        let log = try #require(try office.syncctl(["log", "--json"]).json() as? [[String: Any]])
        let results = log.compactMap { $0["result"] as? String }
        #expect(results.first == "ok")
        #expect(results.dropFirst().contains("server-unreachable"))
        #expect(try office.status()["pendingChanges"] as? Int == 0)
    }

    @Test("sync --retry gives up after N attempts with the exit code of the last")
    func retryGivesUp() throws {
        let workspace = TemporaryDirectory("quartiersync-retry")
        let server = try SyncServerProcess.start(in: workspace)
        let office = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        server.stop()
        let result = try office.syncctl(["sync", "--retry", "2", "--retry-base", "1s"])
        #expect(result.status == 75)
        #expect(result.error.components(separatedBy: "trying again").count - 1 == 2)
        let log = try #require(try office.syncctl(["log", "--json"]).json() as? [[String: Any]])
        #expect(log.count == 3)
        #expect(log.allSatisfy { $0["result"] as? String == "server-unreachable" })
    }

    @Test("status warns when the last successful sync is older than the limit, or conflicts are open")
    func staleness() throws {
        let workspace = TemporaryDirectory("quartiersync-stale")
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let office = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let never = try office.status()
        #expect(never["stale"] as? Bool == true)
        _ = try office.sync()
        let fresh = try office.status()
        #expect(fresh["stale"] as? Bool == false)
        #expect((fresh["warnings"] as? [String])?.isEmpty == true)
        #expect(fresh["staleAfter"] as? String == "2d")
        // Three days pass: the last successful sync is moved back rather than waited for.
        let moved = try Command.run(
            "/usr/bin/sqlite3",
            [office.path, "UPDATE _sync_state SET last_sync_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days')"])
        #expect(moved.status == 0, "\(moved.error)")
        let old = try office.syncctl(["status", "--json"]).object()
        #expect(old["stale"] as? Bool == true)
        #expect((old["warnings"] as? [String])?.first?.contains("no successful sync") == true)
        #expect(try office.syncctl(["status", "--stale-after", "4d", "--json"]).object()["stale"] as? Bool == false)
        let text = try office.syncctl(["status"])
        #expect(text.status == 0)
        #expect(text.output.contains("warning: no successful sync"))
    }
}
