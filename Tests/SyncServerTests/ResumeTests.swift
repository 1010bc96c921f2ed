import Foundation
import SyncCore
import SyncKernel
import SyncRemote
import TestSupport
import Testing

/// A sync killed with SIGKILL in the middle resumes without losing or doubling anything.
@Suite("Resuming after SIGKILL", .serialized)
struct ResumeTests {
    static let records = 1500

    /// Waits (bounded) until `condition` holds; false when the deadline passed.
    func wait(seconds: Double = 120, until condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(2000)
        }
        return false
    }

    @Test(
        "killed during push and during pull, the next sync continues without loss or duplicates",
        arguments: StoreKind.all)
    func killDuringPushAndPull(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let altstadt = try OfficeReplica("Altstadt", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let csv = "name,quartier\n" + (0..<Self.records).map { "Person \($0),kuckuck" }.joined(separator: "\n")
        #expect(try kuckuck.replica().importCSV(.contacts, text: csv) == Self.records)

        // Push, killed half way.
        let pushing = try kuckuck.launch(["sync", "--batch-size", "5"])
        let replica = try kuckuck.replica()
        let midPush = try wait {
            let pending = try replica.status().pendingChanges
            return pending > 0 && pending < Self.records
        }
        kill(pushing.processIdentifier, SIGKILL)
        pushing.waitUntilExit()
        #expect(midPush, "the push finished before it could be killed")
        let left = try replica.status().pendingChanges
        #expect(left > 0)
        let resumed = try kuckuck.sync()
        #expect(try replica.status().pendingChanges == 0)
        #expect((resumed["sent"] as? Int ?? 0) <= left + 5, "only what was not acknowledged is sent again")

        // Pull, killed half way.
        let pulling = try altstadt.launch(["sync", "--batch-size", "5"])
        let other = try altstadt.replica()
        let midPull = try wait {
            let count = try other.status().contacts
            return count > 0 && count < Self.records
        }
        kill(pulling.processIdentifier, SIGKILL)
        pulling.waitUntilExit()
        #expect(midPull, "the pull finished before it could be killed")
        _ = try altstadt.sync()
        #expect(try other.records(.contacts) == replica.records(.contacts))
        #expect(try other.status().contacts == Self.records)
        #expect(try other.status().pendingChanges == 0)
        #expect(try other.status().openConflicts == 0)
    }
}
