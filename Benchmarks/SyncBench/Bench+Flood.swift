import Foundation
import ProcessHarness
import SyncCore
import SyncKernel
import SyncRemote

extension Bench {
    struct FloodFigures {
        /// The honest office's `syncctl sync` of 40 new contacts while the flood runs.
        var honestSyncMs: Double
        /// Answers the flood got: 200 and 429 `slow-down`.
        var floodOK: Int
        var floodSlowedDown: Int
        var serverPeakMB: Double
    }

    /// One office floods the server (16 connections, each asking for pages of 5,000 of 2,000
    /// contacts with long notes, 15 times, taking no 429 for an answer) while another office
    /// syncs 40 new contacts with `syncctl sync`: how long that sync takes, and the server's
    /// peak memory (issue #25: a fair share per office).
    func flood() async throws -> FloodFigures {
        let database = directory + "/server-flood.sqlite"
        let server = try SyncServerProcess.start(binary: binaries.server, database: database)
        defer { server.stop() }
        let attackerToken = try server.addOffice("Flood", quartiers: ["nordstadt"])
        let attacker = try Replica.inMemory(office: "Flood")
        try attacker.setRemote(try Remote(server: server.url, token: attackerToken))
        let notes = String(repeating: "Sprechstunde im Stadtteiltreff. ", count: 150)
        try attacker.insert(
            .contacts,
            contentsOf: try (0..<2000).map {
                try RecordValues(.contacts, ["name": "Kontakt \($0)", "quartier": "nordstadt", "notes": notes])
            })
        _ = try await RemoteSync().run(attacker)

        let honestToken = try server.addOffice("Honest", quartiers: ["kuckuck"])
        let honest = directory + "/office-flood.sqlite"
        let replica = try Replica.create(at: honest, office: "Honest")
        try replica.setRemote(try Remote(server: server.url, token: honestToken))
        _ = try syncctl(honest)
        try replica.insert(
            .contacts,
            contentsOf: try (0..<40).map {
                try RecordValues(.contacts, ["name": "Kontakt \($0)", "quartier": "kuckuck"])
            })

        let url = server.url
        let flood = Task.detached { await PullFlood.run(url: url, token: attackerToken) }
        // The flood is under way before the honest sync starts.
        try await Task.sleep(for: .milliseconds(200))
        let synced = try syncctl(honest)
        let statuses = await flood.value
        return FloodFigures(
            honestSyncMs: synced.ms, floodOK: statuses[200] ?? 0, floodSlowedDown: statuses[429] ?? 0,
            serverPeakMB: Memory.peakMB(pid: server.processIdentifier ?? 0))
    }
}
