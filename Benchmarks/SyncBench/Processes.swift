import Foundation
import SyncCore

/// The executables next to `sync-bench`, run as separate processes like in production.
struct Binaries {
    let directory: String

    init(override: String?) {
        directory =
            override
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    var server: String { directory + "/sync-server" }
    var syncctl: String { directory + "/syncctl" }

    /// Runs a command to its end; throws when it fails.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError(
                "\(executable) \(arguments.joined(separator: " ")) failed: \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A running sync-server on a free loopback port.
final class BenchServer {
    let process: Process
    let url: String
    let database: String
    let binaries: Binaries

    init(binaries: Binaries, database: String) throws {
        self.binaries = binaries
        self.database = database
        process = Process()
        process.executableURL = URL(fileURLWithPath: binaries.server)
        process.arguments = ["serve", "--db", database, "--host", "127.0.0.1", "--port", "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(["LOG_LEVEL": "warning"]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = String(decoding: line, as: UTF8.self).split(separator: ":").last.flatMap({ Int($0) }) else {
            throw BenchError("sync-server did not start")
        }
        url = "http://127.0.0.1:\(port)"
    }

    func addOffice(_ name: String, quartiers: [String]) throws -> String {
        let out = try binaries.run(
            binaries.server,
            ["office", "add", name, "--db", database, "--json"] + quartiers.flatMap { ["--quartier", $0] },
            environment: ["LOG_LEVEL": "warning"])
        guard let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any],
            let token = json["token"] as? String
        else { throw BenchError("office add printed no token") }
        return token
    }

    /// The server's peak resident memory so far, in MB (VmHWM).
    var peakRSSMB: Double { Memory.peakMB(pid: process.processIdentifier) }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

enum Memory {
    /// VmHWM of a live process, in MB.
    static func peakMB(pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
