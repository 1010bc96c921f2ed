import ArgumentParser
import Foundation
import SyncCore
import SyncKernel

/// `syncctl schedule install|show|remove`: the nightly sync of this replica.
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Sync this replica every night by itself.",
        discussion: """
            Writes a systemd user service and timer under $XDG_CONFIG_HOME/systemd/user \
            (default ~/.config/systemd/user). The sync starts at a random moment within the \
            window after --at (so the offices do not all call at once), runs when the machine \
            was off at that time as soon as it is on again (Persistent=true), and retries an \
            unreachable server within the window. Set $SYNCCTL_SYSTEMCTL to use another systemctl.
            """,
        subcommands: [Install.self, Show.self, Remove.self])

    /// Where the user's systemd units live.
    static var unitDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        let config =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return config + "/systemd/user"
    }

    static func paths(_ name: String) -> (service: String, timer: String) {
        (unitDirectory + "/\(name).service", unitDirectory + "/\(name).timer")
    }

    /// `systemctl --user ARGS`; nil when no user systemd answers.
    @discardableResult
    static func systemctl(_ arguments: [String]) -> Int32? {
        let binary = ProcessInfo.processInfo.environment["SYNCCTL_SYSTEMCTL"] ?? "/usr/bin/systemctl"
        guard FileManager.default.isExecutableFile(atPath: binary) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--user"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The schedule of the replica at `replica` (whose id is `id`) as installed, or nil: under
    /// its own units, or under the units older versions named after the file alone — only
    /// when they sync this very file (another file of the same name has its own).
    static func installed(for replica: String, id: String) -> (NightlySchedule, service: String, timer: String)? {
        for name in [
            NightlySchedule.unitName(replica: replica, id: id), NightlySchedule.legacyUnitName(replica: replica),
        ] {
            let (servicePath, timerPath) = paths(name)
            guard let service = try? String(contentsOfFile: servicePath, encoding: .utf8),
                let timer = try? String(contentsOfFile: timerPath, encoding: .utf8),
                var schedule = NightlySchedule(timer: timer, service: service, replicaID: id),
                schedule.replica == replica
            else { continue }
            // Legacy units keep their name until they are installed again.
            if name != schedule.unitName { schedule.legacyName = name }
            return (schedule, servicePath, timerPath)
        }
        return nil
    }

    /// The schedule of the replica `id` under another path that still exists (a copy of the
    /// file), if any.
    static func installedElsewhere(id: String, than path: String) -> NightlySchedule? {
        let suffix = "-" + NightlySchedule.unitName(replica: "x", id: id).split(separator: "-").last! + ".service"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: unitDirectory)) ?? []
        for name in names where name.hasPrefix("quartiersync-sync-") && name.hasSuffix(suffix) {
            let unit = String(name.dropLast(".service".count))
            let (servicePath, timerPath) = paths(unit)
            guard let service = try? String(contentsOfFile: servicePath, encoding: .utf8),
                let timer = try? String(contentsOfFile: timerPath, encoding: .utf8),
                let other = NightlySchedule(timer: timer, service: service, replicaID: id), other.replica != path,
                FileManager.default.fileExists(atPath: other.replica),
                service.contains("(replica \(id))")
            else { continue }
            return other
        }
        return nil
    }

    /// The replica file at `path` (absolute) and its id; fails when there is none.
    static func replica(at path: String) throws -> (path: String, id: String) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SyncError(.replicaUnavailable, "no replica at \(path): 'syncctl init' creates one")
        }
        return (path, try Replica.open(at: path).id.rawValue)
    }

    /// What `schedule show --json` and `schedule install --json` print.
    struct Report: Encodable {
        var installed: Bool
        var unit: String?
        var at: String?
        var window: String?
        var retries: Int?
        var replica: String
        var servicePath: String?
        var timerPath: String?
        /// Whether a user systemd has the timer enabled (nil: no user systemd answered).
        var enabled: Bool?
        var crontab: String?
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install the nightly sync (a systemd user timer, or with --cron a crontab line to add).")

        @OptionGroup var replica: ReplicaOptions
        @Option(help: ArgumentHelp("When the window opens, local time.", valueName: "HH:MM")) var at: String
        @Option(help: ArgumentHelp("Start at a random moment within this span.", valueName: "span"))
        var window = TimeSpan(seconds: 3600)
        @Option(help: "Retries of an unreachable or failing server within the window.") var retry = 6
        @Flag(help: "Print the equivalent crontab line instead of writing systemd units.") var cron = false
        @Flag(help: "Write the units but do not enable them.") var noEnable = false
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            guard NightlySchedule.time(at) != nil else {
                throw ValidationError("--at needs a time of day as HH:MM, e.g. 02:30")
            }
            guard (60...(12 * 3600)).contains(window.seconds) else {
                throw ValidationError("--window must be between 1m and 12h")
            }
        }

        func run() throws {
            let (path, id) = try ScheduleCommand.replica(
                at: URL(fileURLWithPath: replica.path).standardizedFileURL.path)
            let time = NightlySchedule.time(at)!
            let schedule = NightlySchedule(
                replica: path, replicaID: id, executable: Self.executable, hour: time.hour, minute: time.minute,
                windowSeconds: window.seconds, retries: retry)
            var report = Report(
                installed: false, at: schedule.at, window: window.description, retries: retry, replica: path)
            if cron {
                report.crontab = schedule.crontabLine
                if json { return try Output.json(report) }
                print("Add this line with 'crontab -e' (it syncs at \(schedule.at) plus up to \(window)):")
                print(schedule.crontabLine)
                return
            }
            let (servicePath, timerPath) = ScheduleCommand.paths(schedule.unitName)
            // The same replica id at another path that still exists: a copy of this replica file
            // (which must not be used beside it), or the schedule of the original.
            if let other = ScheduleCommand.installedElsewhere(id: id, than: path) {
                throw SyncError(
                    .invalidInput,
                    "\(other.replica) has a nightly sync already, and it is the same replica as \(path) (the same "
                        + "replica id: one file is a copy of the other, and only one may be used; see "
                        + "docs/operations.md, 'A copied or restored replica'). If \(path) is the one in use, run "
                        + "'syncctl schedule remove --replica \(other.replica)' first")
            }
            let legacy = ScheduleCommand.installed(for: path, id: id)?.0.legacyName
            do {
                try FileManager.default.createDirectory(
                    atPath: ScheduleCommand.unitDirectory, withIntermediateDirectories: true)
                try schedule.service.write(toFile: servicePath, atomically: true, encoding: .utf8)
                try schedule.timer.write(toFile: timerPath, atomically: true, encoding: .utf8)
            } catch {
                throw SyncError(
                    .database, "cannot write the units to \(ScheduleCommand.unitDirectory): check its permissions",
                    cause: error)
            }
            report.installed = true
            report.unit = schedule.unitName + ".timer"
            // Units an older version wrote for this file give way to the new ones.
            if let legacy {
                ScheduleCommand.systemctl(["disable", "--now", legacy + ".timer"])
                let (oldService, oldTimer) = ScheduleCommand.paths(legacy)
                try? FileManager.default.removeItem(atPath: oldTimer)
                try? FileManager.default.removeItem(atPath: oldService)
            }
            report.servicePath = servicePath
            report.timerPath = timerPath
            if !noEnable {
                if ScheduleCommand.systemctl(["daemon-reload"]) == 0 {
                    report.enabled = ScheduleCommand.systemctl(["enable", "--now", schedule.unitName + ".timer"]) == 0
                }
            }
            if json { return try Output.json(report) }
            print("Wrote \(timerPath) and \(servicePath).")
            print(
                "The replica syncs every night at \(schedule.at) plus up to \(window), retrying up to \(retry) times.")
            switch report.enabled {
            case _ where noEnable:
                print("Not enabled (--no-enable). To enable it:")
                print("  systemctl --user daemon-reload && systemctl --user enable --now \(schedule.unitName).timer")
            case true?: print("Enabled: 'systemctl --user list-timers' shows the next run.")
            case false?:
                print(
                    "systemd refused to enable it: run 'systemctl --user enable --now \(schedule.unitName).timer' and read its message."
                )
            case nil:
                print("No user systemd answered here. Where one runs, enable it with:")
                print("  systemctl --user daemon-reload && systemctl --user enable --now \(schedule.unitName).timer")
            }
            print("So that it runs while nobody is logged in: 'loginctl enable-linger $USER' (once, as admin).")
        }

        /// This `syncctl` binary, by absolute path.
        static var executable: String {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the nightly sync of this replica, if any.")

        @OptionGroup var replica: ReplicaOptions
        @Flag(help: "Print the schedule as JSON.") var json = false

        func run() throws {
            let (path, id) = try ScheduleCommand.replica(
                at: URL(fileURLWithPath: replica.path).standardizedFileURL.path)
            guard let (schedule, servicePath, timerPath) = ScheduleCommand.installed(for: path, id: id) else {
                if json { return try Output.json(Report(installed: false, replica: path)) }
                print("No nightly sync is installed for \(path): 'syncctl schedule install --at 02:00' installs one.")
                return
            }
            let active = ScheduleCommand.systemctl(["is-enabled", "--quiet", schedule.installedName + ".timer"])
            let report = Report(
                installed: true, unit: schedule.installedName + ".timer", at: schedule.at,
                window: TimeSpan(seconds: schedule.windowSeconds).description, retries: schedule.retries,
                replica: path, servicePath: servicePath, timerPath: timerPath, enabled: active.map { $0 == 0 })
            if json { return try Output.json(report) }
            print("Nightly sync of \(path)")
            print("  at \(schedule.at) plus up to \(report.window!), retrying up to \(schedule.retries) times")
            print("  units: \(timerPath), \(servicePath)")
            switch report.enabled {
            case true?:
                print("  enabled ('systemctl --user list-timers' shows the next run; 'syncctl log' the past ones)")
            case false?: print("  NOT enabled: run 'systemctl --user enable --now \(schedule.installedName).timer'")
            case nil: print("  no user systemd answered here, so whether it runs is not known")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the nightly sync of this replica.")

        @OptionGroup var replica: ReplicaOptions

        func run() throws {
            let (path, id) = try ScheduleCommand.replica(
                at: URL(fileURLWithPath: replica.path).standardizedFileURL.path)
            guard let (schedule, servicePath, timerPath) = ScheduleCommand.installed(for: path, id: id) else {
                print("No nightly sync is installed for \(path). (A crontab line is removed with 'crontab -e'.)")
                return
            }
            ScheduleCommand.systemctl(["disable", "--now", schedule.installedName + ".timer"])
            try? FileManager.default.removeItem(atPath: timerPath)
            try? FileManager.default.removeItem(atPath: servicePath)
            ScheduleCommand.systemctl(["daemon-reload"])
            print("Removed the nightly sync of \(path).")
        }
    }
}
