import Foundation

/// A real `sync-server` started as a child process on a free loopback port: what the
/// end-to-end tests and the benchmark run against.
///
/// ```swift
/// let server = try SyncServerProcess.start(binary: "/usr/local/bin/sync-server", database: "/tmp/demo/server.sqlite")
/// let token = try server.addOffice("Stadtteiltreff Kuckuck", quartiers: ["kuckuck"])
/// defer { server.stop() }
/// ```
public final class SyncServerProcess: @unchecked Sendable {
    // Safe: `process` is only replaced by `start`/`restart` and read by `stop`, which callers
    // do not run concurrently (one owner per server).
    /// The server executable.
    public let binary: String
    /// The server store: a SQLite file, or a `postgres://` URL.
    public let database: String
    /// How `sync-server` commands name the store: `--db FILE` or `--store URL`.
    public var storeArguments: [String] {
        database.hasPrefix("postgres://") ? ["--store", database] : ["--db", database]
    }
    /// The port it listens on (127.0.0.1).
    public private(set) var port: Int
    /// More arguments of `serve` (TLS files, limits).
    public let arguments: [String]
    /// Where the server's log (standard error) goes, at `LOG_LEVEL=trace`; nil: the test's
    /// standard error, at `warning`.
    public let logFile: String?
    /// A command the server runs under, e.g. `["/usr/bin/fiu-run", "-x"]` to inject disk
    /// faults (it must exec the server, so that the process id is the server's).
    public let launcher: [String]
    private var process: Process?

    /// The most memory the running server has held (VmHWM, bytes); nil when it is not running.
    public var peakResidentBytes: Int? {
        guard let process, process.isRunning else { return nil }
        return Int(Memory.peakMB(pid: process.processIdentifier) * 1024 * 1024)
    }

    /// `http://127.0.0.1:PORT`, or `https://` when it serves TLS.
    public var url: String { "\(arguments.contains("--tls-cert") ? "https" : "http")://127.0.0.1:\(port)" }

    /// The process id while running.
    public var processIdentifier: Int32? { process?.processIdentifier }

    private init(
        binary: String, database: String, port: Int, arguments: [String], logFile: String?, launcher: [String]
    ) {
        self.binary = binary
        self.database = database
        self.port = port
        self.arguments = arguments
        self.logFile = logFile
        self.launcher = launcher
    }

    /// Starts `sync-server serve` on `port` (0: a free one) with more `arguments`, and waits
    /// until it listens.
    public static func start(
        binary: String, database: String, port: Int = 0, arguments: [String] = [], logFile: String? = nil,
        launcher: [String] = []
    ) throws -> SyncServerProcess {
        let server = SyncServerProcess(
            binary: binary, database: database, port: port, arguments: arguments, logFile: logFile, launcher: launcher)
        try server.launch()
        return server
    }

    /// Starts the stopped server again on the same port and store.
    public func restart() throws {
        stop()
        try launch()
    }

    /// How long a start may take before it is killed and tried again.
    static let startDeadline: TimeInterval = 30

    /// Starts the server; one that has not said where it listens within ``startDeadline`` is
    /// killed and started once more. (Under `fiu-run`, libfiu's preload can deadlock a process
    /// as it starts: its control thread and the main thread take libfiu's lock and the dynamic
    /// linker's in opposite orders. Seen once in some thousand starts; it hung a test run.)
    private func launch() throws {
        do {
            try launchOnce()
        } catch let error as StartTimeout {
            FileHandle.standardError.write(Data("\(error.description); starting it again\n".utf8))
            try launchOnce()
        }
    }

    struct StartTimeout: Error, CustomStringConvertible {
        var description: String {
            "sync-server did not say where it listens within \(Int(SyncServerProcess.startDeadline)) s (killed)"
        }
    }

    /// Whether a start finished, shared with the watchdog that kills a start that hangs.
    private final class StartWatch: @unchecked Sendable {
        private let lock = NSLock()
        private var finished = false
        private(set) var killed = false

        func finish() { lock.withLock { finished = true } }

        func killIfHanging(_ process: Process) {
            lock.withLock {
                guard !finished, process.isRunning else { return }
                killed = true
                kill(process.processIdentifier, SIGKILL)
            }
        }
    }

    private func launchOnce() throws {
        let process = Process()
        // A PostgreSQL store is migrated by the first server that starts on it.
        let migrate = database.hasPrefix("postgres://") ? ["--migrate"] : []
        let serve = ["serve"] + storeArguments + migrate + ["--host", "127.0.0.1", "--port", String(port)] + arguments
        process.executableURL = URL(fileURLWithPath: launcher.first ?? binary)
        process.arguments = launcher.isEmpty ? serve : Array(launcher.dropFirst()) + [binary] + serve
        process.environment = ProcessInfo.processInfo.environment.merging([
            "LOG_LEVEL": logFile == nil ? "warning" : "trace"
        ]) { $1 }
        if let logFile {
            if !FileManager.default.fileExists(atPath: logFile) {
                _ = FileManager.default.createFile(atPath: logFile, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
            try handle.seekToEnd()
            process.standardError = handle
        }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let watch = StartWatch()
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.startDeadline) { watch.killIfHanging(process) }
        // The first line names the address: "listening on 127.0.0.1:PORT". A killed start ends
        // the output.
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        watch.finish()
        if watch.killed {
            process.waitUntilExit()
            throw StartTimeout()
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on "), let chosen = text.split(separator: ":").last.flatMap({ Int($0) }) else {
            process.terminate()
            throw CommandError("sync-server did not start (\(text.isEmpty ? "no output" : text))")
        }
        port = chosen
        self.process = process
    }

    /// Registers an office with `sync-server office add … --json` and returns its token.
    public func addOffice(_ name: String, quartiers: [String]) throws -> String {
        let output = try run(
            ["office", "add", name] + storeArguments + ["--json"] + quartiers.flatMap { ["--quartier", $0] })
        guard let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
            let token = json["token"] as? String
        else { throw CommandError("sync-server office add printed no token for \(name)") }
        return token
    }

    /// Creates an admin with `sync-server admin add … --json` and returns its token.
    public func addAdmin(_ name: String) throws -> String {
        let output = try run(["admin", "add", name] + storeArguments + ["--json"])
        guard let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
            let token = json["token"] as? String
        else { throw CommandError("sync-server admin add printed no token for \(name)") }
        return token
    }

    /// Gives a registered office other Quartiere (`sync-server office add` again); its token
    /// stays valid.
    public func setQuartiers(of name: String, to quartiers: [String]) throws {
        try run(["office", "add", name] + storeArguments + ["--json"] + quartiers.flatMap { ["--quartier", $0] })
    }

    /// Runs another `sync-server` command on the same store; returns its standard output.
    @discardableResult
    public func run(_ arguments: [String]) throws -> String {
        let result = try Command.run(binary, arguments, environment: ["LOG_LEVEL": "warning"])
        guard result.status == 0 else {
            throw CommandError("sync-server \(arguments.first ?? "") failed: \(result.error)")
        }
        return result.output
    }

    /// Kills the server with SIGKILL (no shutdown at all: a crash, a pulled plug) and waits.
    public func crash() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Stops the server with SIGTERM (its graceful shutdown) and waits for it.
    public func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }
}
