import ArgumentParser
import CommandLineSupport
import Foundation
import Logging
import SyncCore
import SyncKernel

/// `syncctl`: the office's command line for its QuartierSync replica.
@main
struct SyncCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncctl",
        abstract: "Keep a quartier office's contacts and activities, offline first, and sync them.",
        discussion: """
            Every command works on one replica file: --replica PATH, or $SYNCCTL_REPLICA, or \
            $XDG_DATA_HOME/quartiersync/replica.sqlite (by default ~/.local/share/quartiersync/replica.sqlite).
            Set SYNCCTL_LOG_LEVEL=info (or debug) to see what the library does. Exit codes: 0 done; 64 usage; 65 invalid input or a refused import; 66 unknown id; \
            69 no replica; 70 damaged data; 73 replica exists; 74 database error; 75 server \
            unreachable; 76 server error; 77 token refused; 78 no server set; 79 sync already running.
            """,
        subcommands: [
            Init.self, ContactCommand.self, ActivityCommand.self, Import.self, Export.self, Status.self,
            ConflictsCommand.self, RefusedCommand.self, SubjectCommand.self, RemoteCommand.self, Sync.self,
            ScheduleCommand.self, Log.self,
            BackupCommand.self, AdminCommand.self,
        ]
    )

    /// Runs the command; a ``SyncError`` becomes one line on standard error and its exit code.
    static func main() async {
        // Library messages go to standard error, and only warnings unless asked for more.
        await CommandLineMain.run(
            Self.self, levelVariable: "SYNCCTL_LOG_LEVEL", defaultLevel: .warning,
            movedAway: [
                "demo":
                    "the demo is a program of its own, so that syncctl carries no server: run 'quartiersync-demo' "
                    + "('swift run quartiersync-demo' in the source tree)"
            ]
        ) { error in (error.commandLineMessage, error.exitCode) }
    }
}
