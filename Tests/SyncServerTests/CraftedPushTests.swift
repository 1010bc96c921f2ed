import Foundation
import SyncCore
import SyncKernel
import SyncProtocol
import SyncRemote
import TestSupport
import Testing

/// An attacker holding one office's token (Nordstadt's) pushes hand-made states of another
/// Quartier's contact through the real `sync-server` (issue #25): none takes the contact over,
/// none changes it at the server or at its office, none crashes the server.
@Suite("Crafted pushes", .serialized)
struct CraftedPushTests {
    let workspace = TemporaryDirectory("quartiersync-crafted")

    /// The Altstadt contact as its office holds it, after a phone edit (two versions of A).
    struct Scene {
        let server: SyncServerProcess
        let altstadt: OfficeReplica
        let owned: RecordState
        let attacker: SyncClient

        init(_ workspace: TemporaryDirectory) async throws {
            server = try SyncServerProcess.start(in: workspace)
            altstadt = try OfficeReplica("Altstadt", directory: workspace.path, server: server, quartiers: ["altstadt"])
            let added = try altstadt.syncctl([
                "contact", "add", "--name", "Erika Beispiel", "--email", "erika@example.org", "--quartier",
                "altstadt", "--json",
            ])
            let id = try #require(try added.object()["id"] as? String)
            #expect(try altstadt.syncctl(["contact", "edit", id, "--phone", "05151 000001"]).status == 0)
            _ = try altstadt.sync()
            owned = try #require(try Replica.open(at: altstadt.path).state(of: RecordKey(.contacts, id)))
            let token = try server.addOffice("Nordstadt", quartiers: ["nordstadt"])
            attacker = try SyncClient(remote: try Remote(server: server.url, token: token), timeout: 10)
        }

        func push(_ state: RecordState) async throws -> PushReceipt {
            let batch = ChangeBatch(records: [state], offices: [:], cursor: 1, hasMore: false)
            return try await attacker.push(batch, key: UUID().uuidString.lowercased())
        }

        /// The contact at the server, read as its own office pulls it.
        func ownerView() throws -> RecordValues {
            _ = try altstadt.sync()
            return try #require(try altstadt.contacts().first { $0.id == owned.id })
        }
    }

    @Test(
        "a covered state with the owner's versions rerouted, or with fields left out, is refused as an unknown id would be; nothing changes"
    )
    func takeoverRefused() async throws {
        let scene = try await Scene(workspace)
        defer { scene.server.stop() }
        let before = try scene.ownerView()
        // The owner's first version, routed to Nordstadt: the same dot with another value.
        var rerouted = scene.owned
        rerouted.fields["quartier"] = rerouted.fields["quartier"]!.map {
            Sibling(value: .text("nordstadt"), dot: $0.dot, time: $0.time)
        }
        // The owner's vector, name and e-mail left out: merging would wipe them.
        var wiped = scene.owned
        wiped.fields["name"] = nil
        wiped.fields["email"] = nil
        // A vector below the owner's (only the creation, nothing of the phone), rerouted.
        var older = scene.owned
        let created = try #require(scene.owned.fields["quartier"]?.first?.dot)
        older.context = VersionVector([created.replica: created.counter])
        older.alive = [Sibling(value: true, dot: created, time: .zero)]
        older.fields["phone"] = nil
        older.fields["quartier"] = [Sibling(value: .text("nordstadt"), dot: created, time: .zero)]
        // The owner's state under an id the server does not hold: the answer must be the same,
        // or a receipt would tell which records of another Quartier exist.
        var unknown = RecordState(table: .contacts, id: UUID().uuidString.lowercased(), context: wiped.context)
        unknown.alive = wiped.alive
        unknown.fields = wiped.fields
        var answers: [String: [String]] = [:]
        for (name, state) in [("rerouted", rerouted), ("wiped", wiped), ("older", older), ("unknown", unknown)] {
            let receipt = try await scene.push(state)
            #expect(receipt.refused?.map(\.code) == ["outside-scope"], "\(name): \(receipt.refused ?? [])")
            #expect(receipt.stored == 0, "\(name)")
            answers[name] = receipt.refused?.map { "\($0.code) \($0.message)" }
        }
        #expect(Set(answers.values).count == 1, "\(answers)")
        let after = try scene.ownerView()
        for field in ["name", "email", "phone", "quartier"] {
            #expect(after[field] == before[field], "\(field)")
        }
        #expect(after["quartier"] == "altstadt")
    }

    @Test("a route named by a covered push lets the pushing office write nothing afterwards")
    func announcedRouteGrantsNothing() async throws {
        let scene = try await Scene(workspace)
        defer { scene.server.stop() }
        // A second Altstadt office edits the phone: the contact now has two writers.
        let second = try OfficeReplica(
            "Altstadt Zwei", directory: workspace.path, server: scene.server, quartiers: ["altstadt"])
        _ = try second.sync()
        #expect(try second.syncctl(["contact", "edit", scene.owned.id, "--phone", "05151 000002"]).status == 0)
        _ = try second.sync()
        let stored = try #require(try Replica.open(at: second.path).state(of: scene.owned.key))
        let phone = try #require(stored.fields["phone"]?.first?.dot)
        let creation = try #require(stored.fields["name"]?.first)
        // As of the second office's edit alone, routed to Nordstadt under that edit's dot: the
        // server holds every version of it and newer ones, so it changes nothing. Before issue
        // #25 it made Nordstadt a former route of the contact.
        var stale = RecordState(
            table: .contacts, id: stored.id, context: VersionVector([phone.replica: phone.counter]))
        stale.alive = stored.alive.filter { $0.dot.replica == phone.replica }
        stale.fields["phone"] = stored.fields["phone"]
        stale.fields["quartier"] = [Sibling(value: .text("nordstadt"), dot: phone, time: .zero)]
        let planted = try await scene.push(stale)
        #expect(planted.refused == nil && planted.stored == 0, "\(planted.refused ?? [])")
        // Then an edit "made before the move": concurrent, keeping the name's version.
        let nordstadt = ReplicaID(rawValue: "dddddddd-0000-4000-8000-000000000004")
        var edit = RecordState(
            table: .contacts, id: stored.id,
            context: VersionVector([creation.dot.replica: creation.dot.counter, nordstadt: 1]))
        edit.alive = [Sibling(value: true, dot: creation.dot, time: creation.time)]
        edit.fields["name"] = [creation]
        edit.fields["quartier"] = [
            Sibling(value: .text("nordstadt"), dot: Dot(replica: nordstadt, counter: 1), time: .zero)
        ]
        let taken = try await scene.push(edit)
        #expect(taken.refused?.map(\.code) == ["outside-scope"], "\(taken.refused ?? [])")
        let after = try scene.ownerView()
        #expect(after["quartier"] == "altstadt")
        #expect(after["phone"] == "05151 000002")
    }

    @Test(
        "states with counters past 2^53, clocks a century ahead or thousands of versions are refused alone; the server lives"
    )
    func boundsHold() async throws {
        let scene = try await Scene(workspace)
        defer { scene.server.stop() }
        let mallory = ReplicaID(rawValue: "dddddddd-0000-4000-8000-000000000004")
        func created(_ id: String, counter: UInt64, time: HybridTimestamp, versions: Int = 1) -> RecordState {
            var state = RecordState(
                table: .contacts, id: id, context: VersionVector([mallory: counter + UInt64(versions)]))
            let dot = Dot(replica: mallory, counter: counter)
            state.alive = [Sibling(value: true, dot: dot, time: time)]
            state.fields["quartier"] = [Sibling(value: .text("nordstadt"), dot: dot, time: time)]
            state.fields["name"] = (0..<versions).map {
                Sibling(
                    value: .text("Max Muster"), dot: Dot(replica: mallory, counter: counter + UInt64($0)), time: time)
            }
            return state
        }
        let now = HybridTimestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let century = HybridTimestamp(milliseconds: 4_102_444_800_000, logical: .max)  // 2100-01-01
        for (name, state) in [
            ("counter 2^63", created("c-counter", counter: 1 << 63, time: now)),
            ("2100", created("c-clock", counter: 1, time: century)),
            ("10,000 versions", created("c-versions", counter: 1, time: now, versions: 10_000)),
        ] {
            let receipt = try await scene.push(state)
            #expect(receipt.refused?.map(\.code) == ["invalid-state"], "\(name)")
        }
        // One record twice in one push (each time with new versions): the second is refused.
        let once = created("c-twice", counter: 1, time: now)
        let again = created("c-twice", counter: 2, time: now, versions: 200)
        let twice = try await scene.attacker.push(
            ChangeBatch(records: [once, again], offices: [:], cursor: 1, hasMore: false),
            key: UUID().uuidString.lowercased(), replica: mallory)
        #expect(twice.refused?.map(\.code) == ["invalid-state"])
        #expect(twice.refused?.first?.message.contains("more than once") == true)
        #expect(twice.stored == 1)
        // The server still answers, and an honest office still syncs.
        #expect(try await scene.attacker.health().protocolVersion == Wire.version)
        #expect(try scene.ownerView()["name"] == "Erika Beispiel")
    }

    @Test(
        "a new version under another office's replica id is refused as foreign-version; under the office's own replica it is taken"
    )
    func foreignVersionsRefused() async throws {
        let scene = try await Scene(workspace)
        defer { scene.server.stop() }
        let altstadt = try #require(scene.owned.fields["name"]?.first?.dot.replica)
        let mallory = ReplicaID(rawValue: "dddddddd-0000-4000-8000-000000000005")
        let now = HybridTimestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        func contact(_ id: String, by replica: ReplicaID, counter: UInt64) -> RecordState {
            var state = RecordState(table: .contacts, id: id, context: VersionVector([replica: counter]))
            let dot = Dot(replica: replica, counter: counter)
            state.alive = [Sibling(value: true, dot: dot, time: now)]
            state.fields["quartier"] = [Sibling(value: .text("nordstadt"), dot: dot, time: now)]
            state.fields["name"] = [Sibling(value: .text("Max Muster"), dot: dot, time: now)]
            return state
        }
        func push(_ state: RecordState) async throws -> PushReceipt {
            try await scene.attacker.push(
                ChangeBatch(records: [state], offices: [:], cursor: 1, hasMore: false),
                key: UUID().uuidString.lowercased(), replica: mallory)
        }
        // A Nordstadt contact written under a number Altstadt's replica has not reached: in a
        // conflict it would show as Altstadt's value, and Altstadt's own write with that number
        // would be refused as a reused one.
        let next = scene.owned.context[altstadt] + 1_000
        let forged = try await push(contact("c-forged", by: altstadt, counter: next))
        #expect(forged.refused?.map(\.code) == ["foreign-version"], "\(forged.refused ?? [])")
        #expect(forged.stored == 0)
        // An edit of Nordstadt's own record that slips in a version of Altstadt's is refused too.
        var mixed = contact("c-mixed", by: mallory, counter: 1)
        mixed.context[altstadt] = next
        mixed.fields["phone"] = [
            Sibling(value: .text("05151 9"), dot: Dot(replica: altstadt, counter: next), time: now)
        ]
        #expect(try await push(mixed).refused?.map(\.code) == ["foreign-version"])
        // A number Altstadt's replica has reached (its version of another record) is no better:
        // the server never held it in this record, so it is not a relay but a made-up value that
        // would show as Altstadt's.
        let reached = scene.owned.context[altstadt]
        let reused = try await push(contact("c-reused", by: altstadt, counter: reached))
        #expect(reused.refused?.map(\.code) == ["foreign-version"], "\(reused.refused ?? [])")
        // The same contact under the replica Nordstadt syncs with is its own.
        let own = try await push(contact("c-own", by: mallory, counter: 2))
        #expect(own.refused == nil && own.stored == 1, "\(own.refused ?? [])")
        // Altstadt's writes are taken as usual.
        #expect(try scene.altstadt.syncctl(["contact", "edit", scene.owned.id, "--phone", "05151 000003"]).status == 0)
        #expect(try scene.ownerView()["phone"] == "05151 000003")
        #expect(try scene.altstadt.syncctl(["status"]).output.contains("Refused") == false)
        // The session names Nordstadt's own replica only: not which replicas Altstadt syncs
        // with, nor how much they wrote.
        let session = try await scene.attacker.session(replica: mallory)
        #expect(session.knowledge.keys.sorted() == [mallory.rawValue], "\(session.knowledge)")
    }

    @Test("a name carrying terminal escape sequences is shown written out, and exact in JSON")
    func escapesAreShownNotObeyed() async throws {
        let scene = try await Scene(workspace)
        defer { scene.server.stop() }
        let hostile = "Max\u{1B}]0;owned\u{07}\u{1B}[2J Muster\u{9B}31m"
        let added = try scene.altstadt.syncctl([
            "contact", "add", "--name", hostile, "--quartier", "altstadt", "--json",
        ])
        #expect(added.status == 0, "\(added.error)")
        let id = try #require(try added.object()["id"] as? String)
        for arguments in [["contact", "show", id], ["contact", "list"]] {
            let shown = try scene.altstadt.syncctl(arguments)
            #expect(!shown.output.unicodeScalars.contains { [0x1B, 0x07, 0x9B].contains($0.value) }, "\(arguments)")
            #expect(shown.output.contains("\\u{1B}"), "\(arguments): \(shown.output)")
        }
        let json = try scene.altstadt.syncctl(["contact", "show", id, "--json"])
        #expect(!json.output.unicodeScalars.contains { [0x1B, 0x07, 0x9B].contains($0.value) })
        #expect(try json.object()["name"] as? String == hostile)
    }

    @Test("another office's replica id in QuartierSync-Replica is refused: no session about it, no position moved")
    func foreignReplicaRefused() async throws {
        let scene = try await Scene(workspace)
        defer { scene.server.stop() }
        let victim = try Replica.open(at: scene.altstadt.path).id
        let empty = ChangeBatch(records: [], offices: [:], cursor: 1 << 62, hasMore: false)
        for attempt in ["session", "push"] {
            do {
                if attempt == "session" {
                    _ = try await scene.attacker.session(replica: victim)
                } else {
                    _ = try await scene.attacker.push(empty, key: UUID().uuidString.lowercased(), replica: victim)
                }
                Issue.record("\(attempt) with another office's replica id was accepted")
            } catch let error as SyncError {
                #expect(error.code == .unauthorized, "\(attempt)")
                #expect(error.message.contains("another office"), "\(attempt): \(error.message)")
            }
        }
        // The owner's acknowledged position is its own: its next sync finds nothing lost.
        let synced = try scene.altstadt.sync()
        #expect(synced["recovery"] as? String == "none", "\(synced)")
    }
}
