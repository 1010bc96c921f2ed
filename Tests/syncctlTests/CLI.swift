import Foundation
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

    /// The syncctl built next to this test bundle.
    static var executable: String {
        let directory = Bundle.main.executableURL?.deletingLastPathComponent().path ?? ".build/debug"
        for candidate in [directory + "/syncctl", directory + "/../syncctl"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return ".build/debug/syncctl"
    }

    struct Result {
        var status: Int32
        var output: String
        var error: String

        /// Standard output as JSON.
        func json() throws -> Any {
            try JSONSerialization.jsonObject(with: Data(output.utf8), options: [.fragmentsAllowed])
        }
    }

    /// Runs `syncctl ARGS --replica <this replica>` unless `replicaFlag` is false.
    @discardableResult
    func run(_ arguments: [String], replicaFlag: Bool = true, environment extra: [String: String] = [:]) throws
        -> Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments + (replicaFlag ? ["--replica", replica] : [])
        var environment = ["HOME": home, "XDG_DATA_HOME": home + "/data", "PATH": "/usr/bin:/bin"]
        environment.merge(extra) { $1 }
        process.environment = environment
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
            error: String(decoding: err, as: UTF8.self))
    }

    /// `status --json` as a dictionary.
    func status() throws -> [String: Any] {
        try #require(try run(["status", "--json"]).json() as? [String: Any])
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: home) }
}
