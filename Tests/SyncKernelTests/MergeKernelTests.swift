import TestSupport
import Testing

@testable import SyncKernel

/// The common ancestor: created on A with name and phone at A:1, seen by everyone.
private let base = contact([.a: 1], alive: [(true, .a, 1)], ["name": [("Erika", .a, 1)], "phone": [("0511 1", .a, 1)]])

@Suite("Merge kernel")
struct MergeKernelTests {
    @Test("an incoming state the local one already covers changes nothing")
    func alreadyKnown() {
        let local = contact(
            [.a: 2], alive: [(true, .a, 2)], ["name": [("Erika B.", .a, 2)], "phone": [("0511 1", .a, 1)]])
        let result = MergeKernel.merge(local: local, incoming: base)
        #expect(result.outcome == .alreadyKnown)
        #expect(result.state == local)
    }

    @Test("applying the same state twice is a no-op the second time")
    func idempotentApply() {
        let first = MergeKernel.merge(local: base, incoming: base)
        #expect(first.outcome == .alreadyKnown)
        #expect(first.state == base)
    }

    @Test("an incoming state that covers the local one fast-forwards")
    func fastForward() {
        let newer = contact(
            [.a: 1, .b: 2], alive: [(true, .b, 2)], ["name": [("Erika", .a, 1)], "phone": [("0511 2", .b, 2)]])
        let result = MergeKernel.merge(local: base, incoming: newer)
        #expect(result.outcome == .fastForward)
        #expect(result.state == newer)
    }

    @Test("concurrent edits of different fields merge without a conflict")
    func disjointFieldsMerge() {
        let onA = contact(
            [.a: 2], alive: [(true, .a, 2)], ["name": [("Erika B.", .a, 2)], "phone": [("0511 1", .a, 1)]])
        let onB = contact(
            [.a: 1, .b: 1], alive: [(true, .b, 1)], ["name": [("Erika", .a, 1)], "phone": [("0511 2", .b, 1)]])
        let result = MergeKernel.merge(local: onA, incoming: onB)
        #expect(result.outcome == .merged)
        #expect(result.state.visibleRecord["name"] == "Erika B.")
        #expect(result.state.visibleRecord["phone"] == "0511 2")
        #expect(result.state.conflictingFields.isEmpty)
        #expect(result.state == MergeKernel.merge(local: onB, incoming: onA).state)
    }

    @Test("the same field written on both sides keeps both values and one provisional winner everywhere")
    func sameFieldConflict() {
        let onA = contact(
            [.a: 2], alive: [(true, .a, 2)], ["name": [("Erika A", .a, 2)], "phone": [("0511 1", .a, 1)]])
        let onB = contact(
            [.a: 1, .b: 3], alive: [(true, .b, 3)], ["name": [("Erika B", .b, 3)], "phone": [("0511 1", .a, 1)]])
        let atA = MergeKernel.merge(local: onA, incoming: onB)
        let atB = MergeKernel.merge(local: onB, incoming: onA)
        #expect(atA.outcome == .conflicted && atB.outcome == .conflicted)
        #expect(atA.state == atB.state)
        #expect(atA.state.fields["name"]!.map(\.value) == [.text("Erika A"), .text("Erika B")])
        #expect(atA.state.visibleRecord["name"] == "Erika B", "the later write is the provisional winner")
        let conflicts = Conflict.conflicts(in: atA.state, offices: [.a: "Kuckuck", .b: "Altstadt"])
        #expect(conflicts.count == 1)
        #expect(conflicts[0].field == "name")
        #expect(conflicts[0].versions.map(\.office) == ["Kuckuck", "Altstadt"])
        #expect(conflicts[0].id == Conflict.conflicts(in: atB.state, offices: [:])[0].id)
    }

    @Test("equal values written concurrently are not a conflict")
    func equalValuesAreNoConflict() {
        let onA = contact([.a: 2], alive: [(true, .a, 2)], ["name": [("Erika", .a, 1)], "phone": [("0511 9", .a, 2)]])
        let onB = contact(
            [.a: 1, .b: 1], alive: [(true, .b, 1)], ["name": [("Erika", .a, 1)], "phone": [("0511 9", .b, 1)]])
        let result = MergeKernel.merge(local: onA, incoming: onB)
        #expect(result.outcome == .merged)
        #expect(result.state.conflictingFields.isEmpty)
    }

    @Test("a delete against a concurrent edit is a conflict and the edited record stays visible with all its values")
    func deleteAgainstEdit() {
        let deleted = contact([.a: 2], alive: [(false, .a, 2)], ["name": [(nil, .a, 1)], "phone": [(nil, .a, 1)]])
        var tombstone = deleted
        tombstone.eraseValues()
        let edited = contact(
            [.a: 1, .b: 1], alive: [(true, .b, 1)], ["name": [("Erika", .a, 1)], "phone": [("0511 2", .b, 1)]])
        for result in [
            MergeKernel.merge(local: tombstone, incoming: edited),
            MergeKernel.merge(local: edited, incoming: tombstone),
        ] {
            #expect(result.outcome == .conflicted)
            #expect(result.state.isVisible)
            #expect(result.state.hasDeleteConflict)
            #expect(
                result.state.visibleRecord["name"] == "Erika", "the value the delete erased comes back from the edit")
            #expect(result.state.visibleRecord["phone"] == "0511 2")
        }
    }

    @Test("a delete that has seen every edit wins and leaves no values behind but the route")
    func deleteAfterEdit() {
        var tombstone = contact(
            [.a: 2, .b: 1], alive: [(false, .a, 2)],
            ["quartier": [("kuckuck", .a, 1)], "name": [(nil, .a, 1)], "phone": [(nil, .b, 1)]])
        tombstone.eraseValues()
        let edited = contact(
            [.a: 1, .b: 1], alive: [(true, .b, 1)],
            ["quartier": [("kuckuck", .a, 1)], "name": [("Erika", .a, 1)], "phone": [("0511 2", .b, 1)]])
        let result = MergeKernel.merge(local: edited, incoming: tombstone)
        #expect(result.outcome == .fastForward)
        #expect(!result.state.isVisible)
        #expect(result.state.route == "kuckuck", "the tombstone still says which offices must hear of it")
        for (field, siblings) in result.state.fields where field != "quartier" {
            #expect(siblings.allSatisfy { $0.value == .erased }, "\(field) kept a value after the delete")
        }
        #expect(result.state.isCanonical)
    }

    @Test("a deleted record shows no conflicts, even where its route was contested")
    func tombstoneHasNoConflicts() {
        let state = MergeKernel.merge(
            local: contact([.a: 2], alive: [(false, .a, 2)], ["quartier": [("kuckuck", .a, 1)]]),
            incoming: contact([.b: 1], alive: [(false, .b, 1)], ["quartier": [("altstadt", .b, 1)]])
        ).state
        #expect(state.fields["quartier"]?.count == 2)
        #expect(state.conflictingFields.isEmpty && state.openConflictCount == 0)
    }

    @Test("a write that covers all siblings resolves the conflict wherever it arrives")
    func resolutionClosesConflict() {
        let conflicted = MergeKernel.join(
            contact([.a: 2], alive: [(true, .a, 2)], ["name": [("Erika A", .a, 2)]]),
            contact([.a: 1, .b: 3], alive: [(true, .b, 3)], ["name": [("Erika B", .b, 3)]]))
        #expect(conflicted.conflictingFields == ["name"])
        var resolved = conflicted
        var row = RecordValues(.contacts)
        row["name"] = "Erika A"
        let nameBit = Int64(1) << Int64(SyncTable.contacts.fieldIndex("name")!)
        resolved.write(dot: dot(.c, 1), time: time(4, .c), exists: true, mask: nameBit, row: row)
        let elsewhere = MergeKernel.merge(local: conflicted, incoming: resolved)
        #expect(elsewhere.outcome == .fastForward)
        #expect(elsewhere.state.conflictingFields.isEmpty)
        #expect(elsewhere.state.visibleRecord["name"] == "Erika A")
        // A stale sibling arriving after the resolution changes nothing.
        let stale = contact([.a: 2], alive: [(true, .a, 2)], ["name": [("Erika A", .a, 2)]])
        #expect(MergeKernel.merge(local: elsewhere.state, incoming: stale).outcome == .alreadyKnown)
    }

    @Test("join is commutative, associative and idempotent on random states", arguments: 0..<300)
    func joinLaws(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let states = Self.randomStates(&rng)
        let (x, y, z) = (states[0], states[1], states[2])
        #expect(MergeKernel.join(x, y) == MergeKernel.join(y, x))
        #expect(MergeKernel.join(MergeKernel.join(x, y), z) == MergeKernel.join(x, MergeKernel.join(y, z)))
        #expect(MergeKernel.join(x, x) == x)
    }

    /// Random states that real stores could hold at the same moment: one history of writes by
    /// three replicas that exchange states now and then; a dot always names the same write.
    static func randomStates(_ rng: inout SeededGenerator) -> [RecordState] {
        let ids: [ReplicaID] = [.a, .b, .c]
        var replicas: [ReplicaID: RecordState] = [:]
        var counters: [ReplicaID: UInt64] = [:]
        var snapshots: [RecordState] = []
        for step in 0..<Int.random(in: 1...8, using: &rng) {
            let who = ids.randomElement(using: &rng)!
            if Bool.random(using: &rng), let other = replicas[ids.randomElement(using: &rng)!] {
                replicas[who] = replicas[who].map { MergeKernel.join($0, other) } ?? other
            }
            counters[who, default: 0] += 1
            var state = replicas[who] ?? RecordState(table: .contacts, id: "c1")
            let field = ["name", "phone"].randomElement(using: &rng)!
            var row = RecordValues(.contacts)
            row[field] = ["x", "y", nil].randomElement(using: &rng)!
            state.write(
                dot: Dot(replica: who, counter: counters[who]!), time: HybridTimestamp(milliseconds: Int64(step)),
                exists: Int.random(in: 0..<5, using: &rng) > 0,
                mask: Int64(1) << Int64(SyncTable.contacts.fieldIndex(field)!), row: row)
            MergeKernel.normalise(&state)
            replicas[who] = state
            snapshots.append(state)
        }
        return (0..<3).map { _ in snapshots.randomElement(using: &rng)! }
    }

    @Test("a new record is stored as received exactly when the state says it is canonical", arguments: 0..<200)
    func canonicalStates(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var state = Self.randomStates(&rng)[0]
        if Bool.random(using: &rng), let field = state.fields.first(where: { $0.value.count > 1 })?.key {
            state.fields[field]!.reverse()  // siblings out of their canonical order
        }
        let merged = MergeKernel.merge(local: nil, incoming: state).state
        #expect(state.isCanonical == (merged == state), "seed \(seed)")
        #expect(merged.isCanonical, "seed \(seed)")
    }

    @Test("a state survives its binary encoding unchanged", arguments: 0..<100)
    func binaryRoundTrip(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var state = Self.randomStates(&rng)[0]
        state.updatedAt = Bool.random(using: &rng) ? "2025-06-16T12:00:00.000Z" : nil
        #expect(try RecordState(encoded: state.encoded()) == state)
    }

    @Test("damaged bytes are refused with an error, never a crash")
    func damagedBytes() {
        let bytes = base.encoded()
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self) { try RecordState(encoded: Array(bytes.prefix(length))) }
        }
    }
}
