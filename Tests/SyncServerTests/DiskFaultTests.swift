import Foundation
import SyncCore
import SyncKernel
import TestSupport
import Testing

/// Disks that fail or fill up, at the office and at the server, injected into the real
/// processes with libfiu (`fiu-run -x`, `fiu-ctrl`; Debian's `fiu-utils`, installed by
/// `.ci/run`): SQLite's writes (`pwrite`) and syncs (`fsync`, `fdatasync`) fail with an I/O
/// error or "no space left on device". A command fails with a clear message and exit code,
/// never a crash; the replica and the server store pass `PRAGMA integrity_check`; every
/// acknowledged change is kept; the next sync completes. Seeded: `QS_DISK_SEED=N` replays the
/// probabilities (libfiu's own draws are not seeded).
@Suite("Disk faults", .serialized)
struct DiskFaultTests {
    static let fiuRun = "/usr/bin/fiu-run"
    static let fiuCtrl = "/usr/bin/fiu-ctrl"
    static let seed = ProcessInfo.processInfo.environment["QS_DISK_SEED"].flatMap(UInt64.init) ?? 20_261_203
    let workspace = TemporaryDirectory("quartiersync-disk")

    /// Runs `command` under `fiu-run -x` with `faults`. libfiu's preloaded wrappers can
    /// deadlock a process as it starts (its `malloc` wrapper waits for a lock that a thread
    /// inside `dlsym` holds, while `dlopen` holds the loader's lock — seen once in a few
    /// hundred runs): such a run is killed after two minutes and started again, at most twice.
    static func runUnderFaults(_ faults: [String], _ command: [String], environment: [String: String]) throws
        -> Command.Result
    {
        for attempt in 1...2 {
            let result = try Command.run(fiuRun, ["-x"] + faults + command, environment: environment, timeout: 120)
            guard result.timedOut else { return result }
            print("a run under libfiu hung and was killed (attempt \(attempt) of 3)")
        }
        let last = try Command.run(fiuRun, ["-x"] + faults + command, environment: environment, timeout: 120)
        if last.timedOut { Issue.record("three runs under libfiu in a row hung: \(command.joined(separator: " "))") }
        return last
    }

    /// The failure points of SQLite's file I/O (standard output and error use `write`, left
    /// alone: a message about the failure must still get out).
    static func faults(probability: Double, errno: Int32? = nil) -> [String] {
        ["posix/io/rw/pwrite", "posix/io/sync/fsync", "posix/io/sync/fdatasync"].flatMap { name in
            [
                "-c",
                errno.map { "enable name=\(name),failinfo=\($0)" }
                    ?? "enable_random name=\(name),probability=\(probability)",
            ]
        }
    }

    func integrityCheck(_ path: String) throws {
        let result = try Command.run("/usr/bin/sqlite3", [path, "PRAGMA integrity_check"])
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(path): \(result.output)")
    }

    @Test(
        "syncctl sync on a failing office disk: exit 74 and a message that names the disk, never a crash; nothing acknowledged is lost"
    )
    func officeDiskFails() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.fiuRun), "install fiu-utils (.ci/run does)")
        print("disk faults at the office: seed \(Self.seed) (replay: QS_DISK_SEED=\(Self.seed))")
        var generator = SeededGenerator(seed: Self.seed)
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let other = try OfficeReplica("Kuckuck Zwei", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        var added: Set<String> = []
        var outcomes: [Int32: Int] = [:]
        for attempt in 0..<12 {
            let result = try kuckuck.syncctl([
                "contact", "add", "--name", "Erika Beispiel \(attempt)", "--quartier", "kuckuck", "--json",
            ])
            #expect(result.status == 0, "\(result.error)")
            added.insert(try #require(try result.object()["id"] as? String))
            // A full disk for some attempts, random failures at a seeded rate for the others.
            let full = attempt % 3 == 0
            // About 50 writes a sync: from a few per cent to most syncs failing.
            let probability = Double.random(in: 0.002...0.04, using: &generator)
            let synced = try Self.runUnderFaults(
                Self.faults(probability: probability, errno: full ? ENOSPC : nil),
                [Binaries.syncctl, "sync", "--replica", kuckuck.path],
                environment: ["HOME": workspace.path, "XDG_DATA_HOME": workspace.path + "/data"])
            outcomes[synced.status, default: 0] += 1
            #expect([0, 74].contains(synced.status), "attempt \(attempt) (p \(probability)): \(synced.error)")
            #expect(!synced.error.contains("Fatal error"), "attempt \(attempt): \(synced.error)")
            if synced.status == 74 {
                #expect(synced.error.contains("disk"), "attempt \(attempt): \(synced.error)")
            }
            if full {
                #expect(synced.status == 74, "a full disk let the sync through")
                #expect(synced.error.contains("disk") && synced.error.contains("free"), "\(synced.error)")
            }
            try integrityCheck(kuckuck.path)
        }
        print("disk faults at the office: exit codes \(outcomes.sorted { $0.key < $1.key })")
        // With room again, the next sync takes everything across.
        _ = try kuckuck.sync()
        _ = try other.sync()
        #expect(Set(try other.contacts().compactMap(\.id)) == added)
        #expect(try kuckuck.replica().status().pendingChanges == 0)
        try integrityCheck(kuckuck.path)
    }

    @Test(
        "a full or failing server disk: pushes are answered 503 and store nothing, pulls are served, and the next sync completes"
    )
    func serverDiskFails() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.fiuRun), "install fiu-utils (.ci/run does)")
        var generator = SeededGenerator(seed: Self.seed)
        let server = try SyncServerProcess.start(in: workspace, launcher: [Self.fiuRun, "-x"])
        defer { server.stop() }
        let pid = try #require(server.processIdentifier)
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let other = try OfficeReplica("Kuckuck Zwei", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        var added: Set<String> = []
        func add(_ office: OfficeReplica, _ name: String) throws {
            let result = try office.syncctl(["contact", "add", "--name", name, "--quartier", "kuckuck", "--json"])
            added.insert(try #require(try result.object()["id"] as? String))
        }
        try add(kuckuck, "Erika Beispiel")
        _ = try kuckuck.sync()
        _ = try other.sync()

        // The disk is full: a push is refused with 503 and a message that says so.
        let fill = try Command.run(Self.fiuCtrl, Self.faults(probability: 1, errno: ENOSPC) + [String(pid)])
        #expect(fill.status == 0, "\(fill.error)")
        try add(kuckuck, "Jonas Muster")
        let refused = try kuckuck.syncctl(["sync"])
        #expect(refused.status == 76, "\(refused.status): \(refused.error)")
        #expect(refused.error.contains("disk is full or failing"), "\(refused.error)")
        #expect(try kuckuck.replica().status().pendingChanges > 0)
        // Reads go on: the other office pulls what the server holds.
        let pulled = try other.syncctl(["sync"])
        #expect(pulled.status == 0, "\(pulled.error)")
        #expect(try other.contacts().count == 1)

        // Failing at random (seeded rates): syncs may fail, the server stays up.
        for round in 0..<6 {
            let probability = Double.random(in: 0.05...0.5, using: &generator)
            _ = try Command.run(Self.fiuCtrl, Self.faults(probability: probability) + [String(pid)])
            try add(round % 2 == 0 ? kuckuck : other, "Aylin Beispiel \(round)")
            for office in [kuckuck, other] {
                let synced = try office.syncctl(["sync"])
                #expect([0, 75, 76].contains(synced.status), "round \(round): \(synced.status) \(synced.error)")
            }
            #expect(kill(pid, 0) == 0, "the server is gone")
        }

        // Room again: every office's changes arrive, nothing lost, the store is whole.
        let clear = try Command.run(
            Self.fiuCtrl,
            ["posix/io/rw/pwrite", "posix/io/sync/fsync", "posix/io/sync/fdatasync"].flatMap {
                ["-c", "disable name=\($0)"]
            } + [String(pid)])
        #expect(clear.status == 0, "\(clear.error)")
        for _ in 0..<2 {
            _ = try kuckuck.sync()
            _ = try other.sync()
        }
        #expect(Set(try kuckuck.contacts().compactMap(\.id)) == added)
        #expect(Set(try other.contacts().compactMap(\.id)) == added)
        server.stop()
        try integrityCheck(server.database)
    }
}
