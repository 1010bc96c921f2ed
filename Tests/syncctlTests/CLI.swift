import Foundation
import SyncKernel
import TestSupport
import Testing

/// Runs the real `syncctl` binary in a temporary home, so no test touches the user's files.
struct CLI {
    let home: String
    let replica: String

    init() throws {
        home = NSTemporaryDirectory() + "syncctl-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        replica = home + "/office.sqlite"
    }

    /// Runs `syncctl ARGS --replica <this replica>` unless `replicaFlag` is false.
    @discardableResult
    func run(
        _ arguments: [String], replicaFlag: Bool = true, environment extra: [String: String] = [:],
        input: String? = nil
    ) throws -> Command.Result {
        try Command.run(
            Binaries.syncctl, arguments + (replicaFlag ? ["--replica", replica] : []),
            environment: ["HOME": home, "XDG_DATA_HOME": home + "/data"].merging(extra) { $1 }, input: input)
    }

    /// `status --json` as a dictionary.
    func status() throws -> [String: Any] {
        try #require(try run(["status", "--json"]).json() as? [String: Any])
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: home) }
}
