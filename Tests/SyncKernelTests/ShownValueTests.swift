import TestSupport
import Testing

@testable import SyncKernel

/// Which value a field shows while its versions compete: the latest that still holds a value,
/// never a value its own writer deleted afterwards when another store holds one.
@Suite("The value a field shows")
struct ShownValueTests {
    /// Three offices of one Quartier: A sets the phone and syncs; B, which had not seen that,
    /// sets another phone and then deletes the contact, offline; C, which saw A's phone, edits
    /// the organisation. Merged in any order, the contact lives on (C's edit against B's
    /// delete) and shows A's phone, which A and C still hold.
    @Test("a value its writer deleted afterwards does not hide a concurrent value another office holds")
    func erasedSiblingNeverHidesHeldValue() throws {
        var created = RecordState(table: .contacts, id: "c1")
        created.write(
            dot: Dot(replica: .a, counter: 1), time: HybridTimestamp(milliseconds: 1000), exists: true,
            mask: Self.mask("name", "quartier"), row: Self.row(["name": "Erika Beispiel", "quartier": "kuckuck"]))
        var atA = created
        atA.write(
            dot: Dot(replica: .a, counter: 2), time: HybridTimestamp(milliseconds: 2000), exists: true,
            mask: Self.mask("phone"), row: Self.row(["phone": "08"]))
        var atB = created
        atB.write(
            dot: Dot(replica: .b, counter: 1), time: HybridTimestamp(milliseconds: 3000), exists: true,
            mask: Self.mask("phone"), row: Self.row(["phone": "012"]))
        atB.write(
            dot: Dot(replica: .b, counter: 2), time: HybridTimestamp(milliseconds: 4000), exists: false, mask: 0,
            row: nil)
        var atC = atA
        atC.write(
            dot: Dot(replica: .c, counter: 1), time: HybridTimestamp(milliseconds: 5000), exists: true,
            mask: Self.mask("organisation"), row: Self.row(["organisation": "Stadtteiltreff"]))

        #expect(atB.fields["phone"]?.map(\.value) == [.erased], "a delete keeps no value")
        let offices: [ReplicaID: String] = [.a: "A", .b: "B", .c: "C"]
        for order in Self.permutations([atA, atB, atC]) {
            let merged = try #require(Self.fold(order))
            #expect(merged.isVisible, "an edit concurrent with the delete keeps the record")
            #expect(merged.visibleRecord["phone"] == "08", "A and C hold 08; nobody overwrote it")
            #expect(merged.visibleRecord["organisation"] == "Stadtteiltreff")
            #expect(merged.visibleRecord["name"] == "Erika Beispiel")
            let conflicts = Conflict.conflicts(in: merged, offices: offices)
            let phone = try #require(conflicts.first { $0.field == "phone" })
            #expect(phone.versions.map(\.office) == ["A", "B"])
            #expect(phone.versions.map(\.erased) == [false, true])
            #expect(phone.provisionalWinner.office == "A")
            #expect(phone.provisionalWinner.value == "08")
            #expect(conflicts.contains { $0.kind == .deleteVersusEdit })
            // Taking the erased side leaves the field empty.
            let write = try ConflictDecision.take(office: "B").write(for: phone, shown: merged.visibleRecord)
            guard case .fields(let values) = write else {
                Issue.record("taking a field's version writes fields, got \(write)")
                continue
            }
            #expect(values["phone"] == nil)
            #expect(values.isGiven(try #require(SyncTable.contacts.columnIndex("phone"))))
        }
    }

    @Test("a field shows NULL only when every version was erased or the latest held value is NULL")
    func nullOnlyWhenNothingHeld() {
        let allErased = [
            Sibling(value: FieldValue.erased, dot: dot(.a, 1), time: time(1, .a)),
            Sibling(value: FieldValue.erased, dot: dot(.b, 2), time: time(2, .b)),
        ]
        #expect(allErased.shown()?.dot == dot(.b, 2))
        #expect(allErased.shown()?.value.text == nil)
        let heldNull = [
            Sibling(value: FieldValue.text("x"), dot: dot(.a, 1), time: time(1, .a)),
            Sibling(value: FieldValue.null, dot: dot(.b, 2), time: time(2, .b)),
            Sibling(value: FieldValue.erased, dot: dot(.c, 3), time: time(3, .c)),
        ]
        #expect(heldNull.shown()?.dot == dot(.b, 2), "a NULL someone wrote is a held value")
        #expect([Sibling<FieldValue>]().shown() == nil)
    }

    /// Property: over generated histories (three replicas writing, deleting and exchanging
    /// states), whenever a visible record's field has a version that holds a value, the table
    /// shows one of the held values, the latest of them — for the state any order of merges
    /// leaves at a store; and stores holding the same state (the join, in any order) show the
    /// same row.
    @Test("the shown value is a held one, and one state shows one row, on generated states")
    func shownValueProperty() {
        var reached = 0
        for seed in UInt64(0)..<3000 {
            var rng = SeededGenerator(seed: seed)
            let states = MergeKernelTests.randomStates(&rng)
            let orders = Self.permutations(states)
            let joined = orders.map { order in
                var state = order.dropFirst().reduce(order[0]) { MergeKernel.join($0, $1) }
                MergeKernel.eraseIfDeleted(&state)
                return state
            }
            for other in joined.dropFirst() {
                #expect(other.visibleRecord == joined[0].visibleRecord, "seed \(seed): one state, two rows")
            }
            for merged in orders.compactMap(Self.fold) + [joined[0]] where merged.isVisible {
                let row = merged.visibleRecord
                for index in SyncTable.contacts.fields.indices {
                    let siblings = merged.fields[index: index]
                    let held = siblings.filter { $0.value != .erased }
                    let shown = row[column: index + 1]
                    if let latestHeld = held.provisionalWinner() {
                        #expect(shown == latestHeld.value.text, "seed \(seed): field \(index) shows no held value")
                        if siblings.provisionalWinner()?.value == .erased { reached += 1 }
                    } else {
                        #expect(shown == nil, "seed \(seed): field \(index) shows a value nobody holds")
                    }
                }
            }
        }
        // A generator that never makes an erased version the latest next to a held one would
        // not test the rule at all.
        #expect(reached > 0, "no generated state had a later erased version next to a held one")
    }

    static func fold(_ states: [RecordState]) -> RecordState? {
        var merged: RecordState?
        for state in states { merged = MergeKernel.merge(local: merged, incoming: state).state }
        return merged
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        var result: [[T]] = []
        for index in items.indices {
            var rest = items
            let first = rest.remove(at: index)
            for tail in permutations(rest) { result.append([first] + tail) }
        }
        return result
    }

    static func mask(_ fields: String...) -> Int64 {
        fields.reduce(0) { $0 | Int64(1) << Int64(SyncTable.contacts.fieldIndex($1)!) }
    }

    static func row(_ values: [String: String]) -> RecordValues {
        var row = RecordValues(.contacts)
        for (field, value) in values { row[field] = value }
        return row
    }
}
