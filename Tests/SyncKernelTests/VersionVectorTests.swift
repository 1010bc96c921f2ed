import TestSupport
import Testing

@testable import SyncKernel

@Suite("Version vectors")
struct VersionVectorTests {
    static func randomVector(_ rng: inout SeededGenerator) -> VersionVector {
        var vector = VersionVector()
        for replica in [ReplicaID.a, .b, .c] where Bool.random(using: &rng) {
            vector[replica] = UInt64.random(in: 1...4, using: &rng)
        }
        return vector
    }

    @Test("merge is commutative, associative and idempotent", arguments: 0..<200)
    func mergeIsASemilattice(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let x = Self.randomVector(&rng)
        let y = Self.randomVector(&rng)
        let z = Self.randomVector(&rng)
        #expect(x.merging(y) == y.merging(x))
        #expect(x.merging(y).merging(z) == x.merging(y.merging(z)))
        #expect(x.merging(x) == x)
        #expect(x.isDominated(by: x.merging(y)) && y.isDominated(by: x.merging(y)))
    }

    @Test("the order is a partial order consistent with merge", arguments: 0..<200)
    func partialOrder(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let x = Self.randomVector(&rng)
        let y = Self.randomVector(&rng)
        let z = Self.randomVector(&rng)
        #expect(x.isDominated(by: x))
        if x.isDominated(by: y) && y.isDominated(by: x) { #expect(x == y) }
        if x.isDominated(by: y) && y.isDominated(by: z) { #expect(x.isDominated(by: z)) }
        #expect(x.isDominated(by: y) == (x.merging(y) == y))
    }

    @Test("compare names the four relations")
    func compareRelations() {
        let ab = VersionVector([.a: 2, .b: 1])
        #expect(ab.compare(ab) == .equal)
        #expect(VersionVector([.a: 1]).compare(ab) == .before)
        #expect(ab.compare(VersionVector([.a: 1])) == .after)
        #expect(ab.compare(VersionVector([.c: 1])) == .concurrent)
        #expect(VersionVector().compare(VersionVector()) == .equal)
    }

    @Test("a vector covers exactly the dots up to its counter")
    func covers() {
        let vector = VersionVector([.a: 3])
        #expect(vector.covers(Dot(replica: .a, counter: 3)))
        #expect(!vector.covers(Dot(replica: .a, counter: 4)))
        #expect(!vector.covers(Dot(replica: .b, counter: 1)))
    }
}
