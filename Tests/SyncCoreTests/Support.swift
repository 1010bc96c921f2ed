import Foundation
import SyncCore

/// A temporary directory removed when the value is released.
final class TemporaryDirectory: Sendable {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "quartiersync-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A small deterministic random generator (SplitMix64), so a failing seed replays exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension ReplicaID {
    static let a = ReplicaID(rawValue: "aaaaaaaa-0000-4000-8000-000000000001")
    static let b = ReplicaID(rawValue: "bbbbbbbb-0000-4000-8000-000000000002")
    static let c = ReplicaID(rawValue: "cccccccc-0000-4000-8000-000000000003")
}
