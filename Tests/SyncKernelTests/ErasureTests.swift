import Testing

@testable import SyncKernel

/// Erasure as a state (DSGVO Art. 17): it absorbs whatever it meets, keeps the id, the dots
/// and the route only, and travels in its own format.
@Suite("Erasure in the kernel")
struct ErasureTests {
    let live = contact(
        [.a: 2], alive: [(true, .a, 1)],
        ["quartier": [("kuckuck", .a, 1)], "name": [("Erika", .a, 1)], "phone": [("0511 1", .a, 2)]])

    func erased(_ state: RecordState, by replica: ReplicaID, _ counter: UInt64) -> RecordState {
        var erased = state
        erased.erase(dot: dot(replica, counter), time: time(counter, replica))
        return erased
    }

    @Test("an erased state keeps the id, the dots and the route, and nothing the person wrote")
    func keepsNoValues() throws {
        let gone = erased(live, by: .b, 1)
        #expect(gone.isErased)
        #expect(!gone.isVisible)
        #expect(gone.route == "kuckuck")
        #expect(gone.context.covers(dot(.a, 2)) && gone.context.covers(dot(.b, 1)))
        #expect(gone.fields.keys == ["quartier"])
        #expect(gone.isCanonical)
        let bytes = gone.encoded()
        #expect(bytes.first == 3)
        #expect(try RecordState(encoded: bytes) == gone)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("Erika"))
        // Every other state keeps the format it had.
        #expect(live.encoded().first == 2)
    }

    @Test("a late edit, made without seeing the erasure, merges into an erased state in either order")
    func absorbsLateEdits() {
        let gone = erased(live, by: .b, 1)
        var late = live
        late.write(
            dot: dot(.a, 3), time: time(3, .a), exists: true, mask: 1 << 6,
            row: {
                var row = live.visibleRecord
                row["notes"] = "neu"
                return row
            }())
        let one = MergeKernel.merge(local: gone, incoming: late).state
        let other = MergeKernel.merge(local: late, incoming: gone).state
        #expect(one == other)
        #expect(one.isErased && !one.isVisible)
        #expect(one.fields.keys == ["quartier"])
        #expect(one.context.covers(dot(.a, 3)))
        // Idempotent, and a known erasure is nothing new.
        #expect(MergeKernel.merge(local: one, incoming: gone).outcome == .alreadyKnown)
        #expect(MergeKernel.join(one, one) == one)
    }

    @Test("a write over an erased record leaves it erased")
    func writeStaysErased() {
        var state = erased(live, by: .b, 1)
        state.write(dot: dot(.a, 3), time: time(3, .a), exists: true, mask: 3, row: live.visibleRecord)
        #expect(state.isErased && !state.isVisible)
        #expect(state.fields.keys == ["quartier"])
        #expect(state.isCanonical)
    }

    @Test("a state marked erased that still holds values is not canonical, so a server refuses it")
    func forgedErasureRefused() {
        var forged = live
        forged.isErased = true
        #expect(!forged.isCanonical)
        #expect(throws: SyncError.self) { try StateValidator().check(forged) }
    }
}
