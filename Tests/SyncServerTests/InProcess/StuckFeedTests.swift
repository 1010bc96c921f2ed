import Foundation
import SyncCore
import SyncKernel
import SyncProtocol
import SyncRemote
import SyncServer
import Testing

/// A broken or hostile server whose feed says "more" without moving on (issue #25, item 10:
/// 7,862 pulls in 20 s, for ever) ends the office's sync with a clear error after one page,
/// without applying it.
@Suite("A feed that never moves on")
struct StuckFeedTests {
    /// The real store behind it, but every page says more follows and names the cursor asked for.
    struct StuckUpstream: Upstream {
        let real: InProcessUpstream
        let pulls = Counter()

        func session(replica: ReplicaID) async throws -> Session { try await real.session(replica: replica) }
        func reportRecovery() async throws -> Int64 { try await real.reportRecovery() }
        func erasures(everywhere: Bool) async throws -> ChangeBatch { try await real.erasures(everywhere: everywhere) }
        func push(_ batch: ChangeBatch, key: String, replica: ReplicaID) async throws -> PushReceipt {
            try await real.push(batch, key: key, replica: replica)
        }
        func pull(since cursor: Int64, limit: Int) async throws -> ChangeBatch {
            await pulls.add()
            var page = try await real.pull(since: cursor, limit: limit)
            page.hasMore = true
            page.cursor = cursor
            return page
        }
    }

    actor Counter {
        private(set) var value = 0
        func add() { value += 1 }
    }

    @Test("a server that says more without moving its feed on ends the sync with an error after one page")
    func stuckFeedEndsTheSync() async throws {
        let network = try InProcessNetwork()
        let writer = try network.office("Kuckuck")
        _ = try writer.insert(.contacts, values: ["name": "Kontakt", "quartier": "kuckuck"])
        try await network.sync(writer, ["kuckuck"])
        let office = try network.office("Kuckuck Zwei")
        _ = try office.insert(.contacts, values: ["name": "Neu", "quartier": "kuckuck"])
        let upstream = StuckUpstream(real: try await network.upstream(for: office, ["kuckuck"]))
        await #expect {
            _ = try await network.synchronizer.sync(office, with: upstream)
        } throws: { error in
            guard let error = error as? SyncError else { return false }
            return error.code == .serverError && error.message.contains("does not move on")
                && error.message.contains("local edits stay pending")
        }
        #expect(await upstream.pulls.value <= 2, "the sync kept pulling a feed that does not move")
        #expect(try office.records(.contacts).map { $0["name"] } == ["Neu"], "a page of a stuck feed was applied")
    }
}
