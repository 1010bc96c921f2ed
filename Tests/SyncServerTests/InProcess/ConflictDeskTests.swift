import Foundation
import GRDB
import SyncKernel
import SyncRemote
import SyncServer
import SyncStore
import TestSupport
import Testing

@testable import SyncCore

/// The conflict desk on replicas syncing through a server store in process: the three-way
/// view, each decision, and the audit trail reaching every office of the Quartier.
@Suite("Conflict desk")
struct ConflictDeskTests {
    /// Three offices of Kuckuck and a server store; every office has seen the contact.
    struct Network {
        let network: InProcessNetwork
        var server: StateStore { network.server }
        let offices: [Replica]
        let contact: String

        init() async throws {
            network = try InProcessNetwork()
            offices = try ["Kuckuck", "Kuckuck-Mobil", "Kuckuck-Beratung"].map { try Replica.inMemory(office: $0) }
            contact = try offices[0].insert(
                .contacts,
                values: ["quartier": "kuckuck", "name": "Mara Beispiel", "phone": "0551 000001", "email": nil]
            ).id!
            try await round()
        }

        func round() async throws {
            for _ in 0..<2 { for office in offices { try await network.sync(office, ["kuckuck"]) } }
        }

        /// Two offices change the phone without seeing each other; everybody syncs.
        func phoneConflict() async throws -> Conflict {
            try offices[0].update(.contacts, id: contact, changes: ["phone": "0551 000002"])
            try offices[1].update(.contacts, id: contact, changes: ["phone": "0551 000003"])
            try await round()
            let conflicts = try offices[2].conflicts()
            try #require(conflicts.count == 1)
            return conflicts[0]
        }

        func phones() throws -> [String?] { try offices.map { try $0.record(.contacts, id: contact)["phone"] ?? nil } }
    }

    @Test("show names the ancestor, each competing value with its office, and what the table shows")
    func threeWayView() async throws {
        let network = try await Network()
        let conflict = try await network.phoneConflict()
        #expect(conflict.kind == .field)
        #expect(conflict.field == "phone")
        #expect(conflict.quartier == "kuckuck")
        #expect(conflict.ancestor == .some("0551 000001"))
        #expect(Set(conflict.offices) == ["Kuckuck", "Kuckuck-Mobil"])
        #expect(Set(conflict.versions.map(\.value)) == ["0551 000002", "0551 000003"])
        #expect(conflict.versions.allSatisfy { $0.replaced == .some("0551 000001") })
        let shown = try network.offices[2].record(.contacts, id: network.contact)["phone"]
        #expect(conflict.provisionalWinner.value == shown)
        // Every office names the same conflict by the same id.
        for office in network.offices { #expect(try office.conflict(id: conflict.id).id == conflict.id) }
    }

    @Test("keeping the value the table shows closes the conflict on every office, also where it was not decided")
    func takeShownCloses() async throws {
        let network = try await Network()
        let conflict = try await network.phoneConflict()
        let shown = conflict.provisionalWinner.value
        // The office that only watched decides.
        let entry = try network.offices[2].resolve(conflict.id, .takeShown, reason: "the newer number is right")
        #expect(entry.decision == "take-shown")
        #expect(entry.office == "Kuckuck-Beratung")
        try await network.round()
        for office in network.offices {
            #expect(try office.conflicts().isEmpty)
            #expect(try office.resolutions().map(\.conflictId) == [conflict.id])
            #expect(try office.resolutions().first?.reason == "the newer number is right")
        }
        #expect(try network.phones() == Array(repeating: shown, count: 3))
    }

    @Test("taking an office's value writes it everywhere, whichever value was shown")
    func takeOffice() async throws {
        let network = try await Network()
        let conflict = try await network.phoneConflict()
        let hidden = conflict.versions[0]
        try network.offices[0].resolve(conflict.id, .take(office: hidden.office!), reason: "confirmed by phone")
        try await network.round()
        #expect(try network.phones() == Array(repeating: hidden.value, count: 3))
        for office in network.offices {
            #expect(try office.conflicts().isEmpty)
            #expect(try office.resolutions().first?.chosenOffice == hidden.office)
        }
    }

    @Test("an edit of the contested field with the value shown settles it, and says so in the trail")
    func editWithShownValue() async throws {
        let network = try await Network()
        let conflict = try await network.phoneConflict()
        let shown = try #require(conflict.provisionalWinner.value)
        try network.offices[2].update(.contacts, id: network.contact, changes: ["phone": shown])
        try await network.round()
        for office in network.offices {
            #expect(try office.conflicts().isEmpty)
            #expect(try office.resolutions().map(\.decision) == ["edit"])
        }
    }

    @Test("a delete against an edit is settled by keeping the record, or by confirming the delete")
    func deleteVersusEdit() async throws {
        for keep in [true, false] {
            let network = try await Network()
            try network.offices[0].delete(.contacts, id: network.contact)
            try network.offices[1].update(.contacts, id: network.contact, changes: ["notes": "kommt zum Sommerfest"])
            try await network.round()
            let conflict = try #require(try network.offices[2].conflicts().first)
            #expect(conflict.kind == .deleteVersusEdit)
            #expect(throws: SyncError.self) { try network.offices[2].resolve(conflict.id, .takeShown, reason: "x") }
            try network.offices[2].resolve(conflict.id, keep ? .keep : .delete, reason: "asked the resident")
            try await network.round()
            for office in network.offices {
                #expect(try office.conflicts().isEmpty)
                #expect(try office.records(.contacts).count == (keep ? 1 : 0))
                #expect(try office.resolutions().map(\.decision) == [keep ? "keep" : "delete"])
            }
        }
    }

    @Test("a wrong decision is refused with what fits, and nothing is written")
    func refusals() async throws {
        let network = try await Network()
        let conflict = try await network.phoneConflict()
        let office = network.offices[2]
        let pending = try office.pendingChanges()
        #expect(throws: SyncError.self) { try office.resolve(conflict.id, .keep, reason: "x") }
        #expect(throws: SyncError.self) { try office.resolve(conflict.id, .take(office: "Altstadt"), reason: "x") }
        #expect(throws: SyncError.self) { try office.resolve(conflict.id, .takeShown, reason: "  ") }
        #expect(throws: SyncError.self) {
            try office.resolve(conflict.id, .set(try RecordValues(.contacts, ["notes": "x"])), reason: "x")
        }
        #expect(throws: SyncError.self) { try office.resolve("c-0000000000000000", .takeShown, reason: "x") }
        #expect(try office.pendingChanges() == pending)
        #expect(try office.conflicts().map(\.id) == [conflict.id])
    }

    @Test("the replaced value travels with the state and is erased with the record")
    func replacedValueErased() async throws {
        let network = try await Network()
        _ = try await network.phoneConflict()
        let key = RecordKey(.contacts, network.contact)
        try network.offices[0].delete(.contacts, id: network.contact)
        let state = try #require(try network.offices[0].state(of: key))
        for (field, siblings) in state.fields where field != "quartier" {
            #expect(siblings.allSatisfy { $0.replaced == nil || $0.replaced == .erased })
        }
        let decoded = try RecordState(encoded: state.encoded())
        #expect(decoded == state)
    }
}
