import SyncCore
import SyncKernel
import TestSupport
import Testing

@testable import SyncStore

/// The planning step of apply, without a database: from a batch and the stored states of its
/// records, what is stored, shown, evicted and pushed back.
@Suite("Apply plan")
struct ApplyPlanTests {
    /// The states an office pushes after inserting a contact of `quartier` and, optionally,
    /// editing it: the first and the last state of the record.
    func states(quartier: String = "kuckuck", edits: Int = 1) throws -> (first: RecordState, last: RecordState) {
        let office = try Replica.inMemory(office: "Kuckuck")
        let id = try #require(
            try office.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": quartier]).id)
        let first = try #require(try office.outgoing(limit: 10).records.first)
        try office.acknowledge(upTo: try office.outgoing(limit: 10).cursor)
        for edit in 0..<edits { _ = try office.update(.contacts, id: id, changes: ["notes": "Notiz \(edit)"]) }
        let last = try #require(try office.outgoing(limit: 10).records.first)
        return (first, last)
    }

    /// An office's replica that wrote none of the states.
    static let office = ApplyPlan.Holding(replica: ReplicaID(rawValue: "this-office"))

    func batch(_ records: [RecordState], evictions: [Eviction] = []) -> ChangeBatch {
        ChangeBatch(records: records, offices: [:], cursor: 1, hasMore: false, evictions: evictions)
    }

    @Test("a record twice in one batch is stored once, at its latest state")
    func twiceInABatch() throws {
        let (first, last) = try states()
        let plan = ApplyPlan(
            batch: batch([first, last]), states: [:], source: .upstream(peer: "s"), holding: Self.office)
        #expect(plan.changed.map(\.state) == [last])
        #expect(plan.summary.received == 2)
        #expect(plan.relayed.isEmpty)
    }

    @Test("a state the store holds already changes nothing")
    func alreadyKnown() throws {
        let (_, last) = try states()
        let plan = ApplyPlan(
            batch: batch([last]), states: [last.key: last], source: .upstream(peer: "s"), holding: Self.office)
        #expect(plan.changed.isEmpty)
        #expect(plan.summary.alreadyKnown == 1)
    }

    @Test("a pulled state older than the stored one is pushed back, once")
    func olderStatePushedBack() throws {
        let (first, last) = try states()
        let plan = ApplyPlan(
            batch: batch([first, first]), states: [last.key: last], source: .upstream(peer: "s"), holding: Self.office)
        #expect(plan.relayed == [last.key])
        #expect(plan.summary.pushedBack == 1)
        #expect(plan.changed.isEmpty)
    }

    @Test("an eviction that covers what the office knows lets the record go; one that misses a write pushes it back")
    func evictions() throws {
        let (first, last) = try states()
        let covering = Eviction(key: last.key, context: last.context)
        let leaves = ApplyPlan(
            batch: batch([], evictions: [covering]), states: [last.key: last], source: .upstream(peer: "s"),
            holding: Self.office)
        #expect(leaves.leaving == [last.key])
        #expect(leaves.summary.evicted == 1)
        #expect(leaves.relayed.isEmpty)

        let behind = Eviction(key: last.key, context: first.context)
        let stays = ApplyPlan(
            batch: batch([], evictions: [behind]), states: [last.key: last], source: .upstream(peer: "s"),
            holding: Self.office)
        #expect(stays.leaving.isEmpty)
        #expect(stays.relayed == [last.key])
    }

    @Test("a pulled eviction of a record holding this replica's own writes holds it until the new Quartier has it")
    func evictionOfOwnWrites() throws {
        let (_, last) = try states()
        let writer = try #require(last.context.counters.keys.first)
        let covering = Eviction(key: last.key, context: last.context)
        let own = ApplyPlan(
            batch: batch([], evictions: [covering]), states: [last.key: last], source: .upstream(peer: "s"),
            holding: .init(replica: writer))
        #expect(own.leaving.isEmpty && own.movedOn == [last.key])
        #expect(own.relayed.isEmpty)

        let others = ApplyPlan(
            batch: batch([], evictions: [covering]), states: [last.key: last], source: .upstream(peer: "s"),
            holding: .init(replica: ReplicaID(rawValue: "another-replica")))
        #expect(others.leaving == [last.key] && others.movedOn.isEmpty)
    }

    @Test("a server keeps the route a pushed state came with when the record has moved on, and announces it again")
    func formerRoute() throws {
        let office = try Replica.inMemory(office: "Kuckuck")
        let id = try #require(
            try office.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"]).id)
        let before = try #require(try office.outgoing(limit: 10).records.first)
        _ = try office.update(.contacts, id: id, changes: ["quartier": "altstadt"])
        let moved = try #require(try office.outgoing(limit: 10).records.first)
        let plan = ApplyPlan(
            batch: batch([before]), states: [moved.key: moved], source: .downstream(acknowledging: nil))
        #expect(plan.summary.alreadyKnown == 1)
        #expect(plan.formerRoutes.map(\.route) == ["kuckuck"])
        #expect(plan.changed.map(\.state) == [moved])
    }

    @Test("a pushed edit of an erased record is refused alone with code 'erased'; an erased state absorbs")
    func editOfErasedRecordRefused() throws {
        let (first, last) = try states()
        var erased = first
        erased.erase(
            dot: Dot(replica: ReplicaID(rawValue: "server"), counter: 1),
            time: HybridTimestamp(milliseconds: 1, logical: 0))
        let other = try states(quartier: "altstadt").first
        let plan = ApplyPlan(
            batch: batch([last, other]), states: [erased.key: erased], source: .downstream(acknowledging: nil),
            validator: StateValidator())
        #expect(plan.summary.refused.map(\.code) == [StateRefusal.erasedCode])
        #expect(plan.summary.refused.first?.message.contains("was erased under an erasure order") == true)
        #expect(plan.changed.map(\.state.key) == [other.key], "the rest of the push is stored")
        // An office pulling the erasure over its live state ends erased, and notes it.
        let pulled = ApplyPlan(
            batch: batch([erased]), states: [last.key: last], source: .upstream(peer: "s"), holding: Self.office)
        #expect(pulled.changed.first?.state.isErased == true)
        #expect(pulled.summary.erased == [last.key])
    }
}
