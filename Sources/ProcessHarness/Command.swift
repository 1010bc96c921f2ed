import Foundation

/// Runs a program and collects what it printed: the one process runner of the tests and the
/// benchmark.
public enum Command {
    /// What a finished program printed, and how it ended.
    public struct Result: Sendable {
        /// The exit status.
        public var status: Int32
        /// Standard output.
        public var output: String
        /// Standard error.
        public var error: String
        /// Whether it was killed for running past the `timeout` it was given.
        public var timedOut = false

        /// Standard output as JSON.
        public func json() throws -> Any {
            try JSONSerialization.jsonObject(with: Data(output.utf8), options: [.fragmentsAllowed])
        }

        /// Standard output as a JSON object.
        public func object() throws -> [String: Any] {
            guard let object = try json() as? [String: Any] else {
                throw CommandError("not a JSON object: \(output) \(error)")
            }
            return object
        }
    }

    /// Runs `executable ARGS` with `PATH=/usr/bin:/bin` plus `environment`, and waits for it;
    /// with `timeout`, kills it (SIGKILL) once it has run that many seconds.
    /// Runs `command` with `/bin/sh` and waits, with popen rather than `Process`: for commands
    /// that leave a daemon running (`pg_ctl start`), whose end `Process.waitUntilExit()` was
    /// seen to miss. Returns the exit status and the output (standard error included).
    public static func shell(_ command: String) -> (status: Int32, output: String) {
        guard let pipe = popen(command + " 2>&1", "r") else { return (-1, "cannot run \(command)") }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, pipe)
            if count <= 0 { break }
            output.append(contentsOf: buffer[..<count])
        }
        let status = pclose(pipe)
        return (status, String(decoding: output, as: UTF8.self))
    }

    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
        timeout: TimeInterval? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        try process.run()
        if let stdin, let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let killed = Collected()
        if let timeout {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                guard process.isRunning else { return }
                killed.data = Data([1])
                kill(pid, SIGKILL)
            }
        }
        // Read both pipes at once: a program that fills one while the other is read would block.
        let err = Collected()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { err.data = error.fileHandleForReading.readDataToEndOfFile() }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
            error: String(decoding: err.data, as: UTF8.self), timedOut: !killed.data.isEmpty)
    }

    /// Starts `executable ARGS` without waiting, its output discarded (to kill it).
    public static func launch(_ executable: String, _ arguments: [String], environment: [String: String] = [:])
        throws -> Process
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// A command that did not answer as expected.
public struct CommandError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// Bytes read on another thread. Safe: written once by that thread before the reader's group
/// finishes, read only after waiting for the group.
private final class Collected: @unchecked Sendable {
    var data = Data()
}
