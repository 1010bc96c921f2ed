import ArgumentParser
import Foundation
import Logging
import SyncKernel

/// The `main` both executables share: the library's log on standard error at a level from the
/// environment, a mistyped command named before the arguments are parsed
/// (``UnknownCommand``), and a ``SyncError`` printed as one line — with the program's own
/// hint — and its exit code. Every line is ``Terminal/safe(_:)``.
public enum CommandLineMain {
    /// Runs the command `Root` parses from the process's arguments.
    /// - Parameters:
    ///   - levelVariable: the environment variable holding the log level.
    ///   - defaultLevel: the level without it.
    ///   - movedAway: commands the program had once, with where they went.
    ///   - explain: the line and exit code for an error the libraries threw.
    public static func run<Root: AsyncParsableCommand>(
        _ root: Root.Type, levelVariable: String, defaultLevel: Logger.Level, movedAway: [String: String] = [:],
        explain: @Sendable (SyncError) -> (message: String, exitCode: Int32)
    ) async {
        let level =
            ProcessInfo.processInfo.environment[levelVariable].flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let program = Root.configuration.commandName ?? "command"
        if let message = UnknownCommand.message(
            for: Array(CommandLine.arguments.dropFirst()), root: Root.self, movedAway: movedAway)
        {
            say(program, message)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try Root.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as SyncError {
            let (message, code) = explain(error)
            say(program, message)
            Foundation.exit(code)
        } catch {
            Root.exit(withError: error)
        }
    }

    /// `PROGRAM: MESSAGE` on standard error.
    private static func say(_ program: String, _ message: String) {
        try? FileHandle.standardError.write(contentsOf: Data("\(program): \(Terminal.safe(message))\n".utf8))
    }
}
