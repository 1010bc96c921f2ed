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

extension ReplicaID {
    static let a = ReplicaID(rawValue: "aaaaaaaa-0000-4000-8000-000000000001")
    static let b = ReplicaID(rawValue: "bbbbbbbb-0000-4000-8000-000000000002")
    static let c = ReplicaID(rawValue: "cccccccc-0000-4000-8000-000000000003")
}
