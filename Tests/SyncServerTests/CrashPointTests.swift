import Foundation
import SyncCore
import SyncKernel
import TestSupport
import Testing

/// `syncctl sync` or `sync-server` killed (SIGKILL) at every step of a sync, not at a random
/// moment (issue #19): at the start of each request — before the server saw it (server) or
/// after the client's previous transaction (client) — and at the start of each answer — after
/// the server's transaction, before the client's. After each crash the next syncs complete,
/// every change arrives once, and nothing is lost.
@Suite("Crash points", .serialized)
struct CrashPointTests {
    enum Victim: String, CaseIterable, Sendable {
        case syncctl
        case server = "sync-server"
    }

    /// One office (Kuckuck) with three new contacts, an edit and a delete, syncing through a
    /// proxy in pages of two; another office of the Quartier already pushed one contact.
    struct Scene {
        let workspace = TemporaryDirectory("quartiersync-crash")
        let server: SyncServerProcess
        let proxy: FaultProxy
        let office: OfficeReplica
        let other: OfficeReplica
        var expected: [String] = ["Vorher"]

        init() throws {
            server = try SyncServerProcess.start(in: workspace)
            office = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
            other = try OfficeReplica("Kuckuck Zwei", directory: workspace.path, server: server, quartiers: ["kuckuck"])
            #expect(try other.syncctl(["contact", "add", "--name", "Vorher", "--quartier", "kuckuck"]).status == 0)
            _ = try other.sync()
            var ids: [String] = []
            for index in 1...3 {
                let added = try office.syncctl([
                    "contact", "add", "--name", "Kontakt \(index)", "--quartier", "kuckuck", "--json",
                ])
                ids.append(try #require(try added.object()["id"] as? String))
            }
            #expect(try office.syncctl(["contact", "edit", ids[0], "--name", "Kontakt 1 (neu)"]).status == 0)
            #expect(try office.syncctl(["contact", "delete", ids[2]]).status == 0)
            expected += ["Kontakt 1 (neu)", "Kontakt 2"]
            proxy = try FaultProxy.start(upstreamPort: server.port, seed: 0, share: 0)
            let moved = try office.syncctl([
                "remote", "set", "--server", "http://127.0.0.1:\(proxy.port)", "--token-file",
                workspace.path + "/Kuckuck.token",
            ])
            #expect(moved.status == 0, "\(moved.error)")
        }

        /// Runs `syncctl sync` of the office through the proxy and waits for it to end.
        func sync() throws -> Int32 {
            let process = try office.launch(["sync", "--batch-size", "2", "--timeout", "5"])
            process.waitUntilExit()
            return process.terminationStatus
        }

        func stop() {
            proxy.stop()
            server.stop()
        }
    }

    /// How many requests a whole sync of the scene makes (the steps to crash at).
    static let steps: Int = {
        guard let scene = try? Scene() else { return 0 }
        defer { scene.stop() }
        _ = try? scene.sync()
        return scene.proxy.exchanges
    }()

    @Test(
        "a sync killed at the start of any request or answer loses nothing and doubles nothing",
        arguments: Victim.allCases)
    func crashAtEveryStep(victim: Victim) throws {
        #expect(Self.steps >= 5, "a sync of the scene makes health, session, push, pull requests")
        print("crash points: \(victim.rawValue) killed at the start of each of \(Self.steps) requests and answers")
        for step in 0..<Self.steps {
            for moment in FaultProxy.Moment.allCases {
                let scene = try Scene()
                defer { scene.stop() }
                let context = "\(victim.rawValue) killed at the \(moment.rawValue) of request \(step)"
                let process = try scene.office.launch(["sync", "--batch-size", "2", "--timeout", "5"])
                let syncctl = process.processIdentifier
                let server = scene.server.processIdentifier
                scene.proxy.watch { exchange, at in
                    guard exchange == step, at == moment else { return }
                    if let pid = victim == .syncctl ? syncctl : server { kill(pid, SIGKILL) }
                }
                process.waitUntilExit()
                scene.proxy.watch { _, _ in }
                if victim == .server { try scene.server.restart() }
                if victim == .syncctl {
                    // The killed sync still has its line in the history.
                    let log = try scene.office.syncctl(["log", "--json"])
                    let runs = try JSONSerialization.jsonObject(with: Data(log.output.utf8)) as? [[String: Any]]
                    #expect(runs?.first?["result"] as? String == "interrupted", "\(context): \(log.output)")
                }
                // The office's next sync completes, and so does the other office's.
                let status = try scene.sync()
                #expect(status == 0, "\(context): the next sync ended with \(status)")
                _ = try scene.other.sync()
                for replica in [scene.office, scene.other] {
                    let names = try replica.contacts().compactMap { $0["name"] }.sorted()
                    #expect(names == scene.expected.sorted(), "\(context): \(replica.name) holds \(names)")
                }
                #expect(try scene.office.status()["pendingChanges"] as? Int == 0, "\(context)")
                let check = try Command.run("/usr/bin/sqlite3", [scene.server.database, "PRAGMA integrity_check"])
                #expect(check.output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(context)")
            }
        }
    }
}
