import Foundation
import TestSupport
import Testing

/// `syncctl schedule` in a private config directory, with a stand-in `systemctl` that only
/// writes down what it was asked: no test touches a real systemd or crontab.
@Suite("syncctl schedule")
struct ScheduleTests {
    /// A `systemctl` stand-in that appends its arguments to `calls` and exits 0.
    func fakeSystemctl(in cli: CLI) throws -> (binary: String, calls: String) {
        let binary = cli.home + "/systemctl"
        let calls = cli.home + "/systemctl.calls"
        try "#!/bin/sh\necho \"$@\" >> '\(calls)'\n".write(toFile: binary, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        return (binary, calls)
    }

    @Test("install writes a user service and timer with the window, Persistent=true, and enables it")
    func installShowRemove() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let (systemctl, calls) = try fakeSystemctl(in: cli)
        let config = cli.home + "/config"
        let environment = ["XDG_CONFIG_HOME": config, "SYNCCTL_SYSTEMCTL": systemctl]

        let installed = try cli.run(
            ["schedule", "install", "--at", "02:30", "--window", "90m", "--json"], environment: environment)
        #expect(installed.status == 0, "\(installed.error)")
        let report = try installed.object()
        #expect(report["enabled"] as? Bool == true)
        let unit = try #require(report["unit"] as? String)
        let directory = config + "/systemd/user/"
        let timer = try String(contentsOfFile: directory + unit, encoding: .utf8)
        #expect(timer.contains("OnCalendar=*-*-* 02:30:00"))
        #expect(timer.contains("RandomizedDelaySec=5400"))
        #expect(timer.contains("Persistent=true"))
        #expect(timer.contains("WantedBy=timers.target"))
        let service = try String(
            contentsOfFile: directory + unit.replacingOccurrences(of: ".timer", with: ".service"), encoding: .utf8)
        #expect(service.contains("Type=oneshot"))
        #expect(service.contains("sync --replica \(cli.replica) --retry 6 --retry-window 90m"))
        let asked = try String(contentsOfFile: calls, encoding: .utf8)
        #expect(asked.contains("--user daemon-reload"))
        #expect(asked.contains("--user enable --now \(unit)"))

        let shown = try cli.run(["schedule", "show", "--json"], environment: environment).object()
        #expect(shown["installed"] as? Bool == true)
        #expect(shown["at"] as? String == "02:30")
        #expect(shown["window"] as? String == "90m")
        #expect(shown["replica"] as? String == cli.replica)

        #expect(try cli.run(["schedule", "remove"], environment: environment).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        #expect(try String(contentsOfFile: calls, encoding: .utf8).contains("--user disable --now \(unit)"))
        let after = try cli.run(["schedule", "show", "--json"], environment: environment).object()
        #expect(after["installed"] as? Bool == false)
    }

    @Test("without a user systemd the units are written and the command says what to run")
    func noSystemd() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let environment = ["XDG_CONFIG_HOME": cli.home + "/config", "SYNCCTL_SYSTEMCTL": cli.home + "/none"]
        let result = try cli.run(["schedule", "install", "--at", "01:00"], environment: environment)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("systemctl --user daemon-reload && systemctl --user enable --now"))
    }

    @Test("--cron prints a crontab line with the same spread and writes nothing")
    func cron() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let config = cli.home + "/config"
        let result = try cli.run(
            ["schedule", "install", "--at", "23:05", "--window", "2h", "--cron", "--json"],
            environment: ["XDG_CONFIG_HOME": config, "SYNCCTL_SYSTEMCTL": cli.home + "/none"])
        let line = try #require(try result.object()["crontab"] as? String)
        #expect(line.hasPrefix("5 23 * * * sleep $(shuf -i 0-7200 -n 1) && "))
        #expect(line.contains("sync --replica \(cli.replica) --retry 6 --retry-window 2h"))
        #expect(!line.contains("%"))
        #expect(!FileManager.default.fileExists(atPath: config))
    }

    @Test("a wrong time or window is refused with the form to use")
    func refusals() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let environment = ["XDG_CONFIG_HOME": cli.home + "/config", "SYNCCTL_SYSTEMCTL": cli.home + "/none"]
        // The error line itself names the form (the usage line below it always lists --at).
        let cases = [
            (["--at", "25:00"], "Error: --at needs a time of day as HH:MM, e.g. 02:30"),
            (["--at", "2:3"], "Error: --at needs a time of day as HH:MM, e.g. 02:30"),
            (["--at", "02:00", "--window", "13h"], "Error: --window must be between 1m and 12h"),
        ]
        for (arguments, message) in cases {
            let result = try cli.run(["schedule", "install"] + arguments, environment: environment)
            #expect(result.status == 64)
            #expect(result.error.split(separator: "\n").first.map(String.init) == message, "\(result.error)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.home + "/config"))
    }

    @Test("two replica files of one name in two directories get a schedule each; show and remove touch only their own")
    func sameFileNameTwoSchedules() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let (systemctl, calls) = try fakeSystemctl(in: cli)
        let environment = ["XDG_CONFIG_HOME": cli.home + "/config", "SYNCCTL_SYSTEMCTL": systemctl]
        let sued3 = cli.home + "/offices/sued3/s.sqlite"
        let sued4 = cli.home + "/offices/sued4/s.sqlite"
        for (path, office) in [(sued3, "Süd 3"), (sued4, "Süd 4")] {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            #expect(try cli.run(["init", "--office", office, "--replica", path], replicaFlag: false).status == 0)
        }
        func schedule(_ arguments: [String], _ path: String) throws -> Command.Result {
            try cli.run(["schedule"] + arguments + ["--replica", path], replicaFlag: false, environment: environment)
        }
        let third = try schedule(["install", "--at", "01:00", "--json"], sued3).object()
        let fourth = try schedule(["install", "--at", "03:00", "--json"], sued4).object()
        let units = [try #require(third["unit"] as? String), try #require(fourth["unit"] as? String)]
        #expect(units[0] != units[1])
        #expect(units.allSatisfy { $0.hasPrefix("quartiersync-sync-s-") })
        #expect(try schedule(["show", "--json"], sued3).object()["at"] as? String == "01:00")
        #expect(try schedule(["show", "--json"], sued4).object()["at"] as? String == "03:00")
        let service = try String(
            contentsOfFile: cli.home + "/config/systemd/user/"
                + units[0].replacingOccurrences(of: ".timer", with: ".service"),
            encoding: .utf8)
        #expect(service.contains("Description=QuartierSync nightly sync of \(sued3)"))
        #expect(try schedule(["remove"], sued3).status == 0)
        #expect(try schedule(["show", "--json"], sued3).object()["installed"] as? Bool == false)
        #expect(try schedule(["show", "--json"], sued4).object()["at"] as? String == "03:00")
        let asked = try String(contentsOfFile: calls, encoding: .utf8)
        #expect(asked.contains("disable --now \(units[0])") && !asked.contains("disable --now \(units[1])"))
    }

    @Test("a copy of a replica file may not take over the original's schedule")
    func copyRefused() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let environment = ["XDG_CONFIG_HOME": cli.home + "/config", "SYNCCTL_SYSTEMCTL": cli.home + "/none"]
        #expect(try cli.run(["schedule", "install", "--at", "02:00"], environment: environment).status == 0)
        let copy = cli.home + "/copy.sqlite"
        #expect(try Command.run("/usr/bin/sqlite3", [cli.replica, ".backup '\(copy)'"]).status == 0)
        let refused = try cli.run(
            ["schedule", "install", "--at", "04:00", "--replica", copy], replicaFlag: false, environment: environment)
        #expect(refused.status == 65, "\(refused.output) \(refused.error)")
        #expect(refused.error.contains("copy") && refused.error.contains("schedule remove --replica \(cli.replica)"))
        #expect(
            try cli.run(["schedule", "show", "--json"], environment: environment).object()["at"] as? String == "02:00")
    }

    @Test("units an older version named after the file alone are shown, and replaced by the next install")
    func legacyUnitsAdopted() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.run(["init", "--office", "Kuckuck"])
        let (systemctl, _) = try fakeSystemctl(in: cli)
        let environment = ["XDG_CONFIG_HOME": cli.home + "/config", "SYNCCTL_SYSTEMCTL": systemctl]
        let directory = cli.home + "/config/systemd/user/"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // As written before the units carried the replica id.
        try """
        [Timer]
        OnCalendar=*-*-* 05:15:00
        RandomizedDelaySec=600
        """.write(toFile: directory + "quartiersync-sync-office.timer", atomically: true, encoding: .utf8)
        try """
        [Service]
        ExecStart=\(Binaries.syncctl) sync --replica \(cli.replica) --retry 2 --retry-window 10m
        """.write(toFile: directory + "quartiersync-sync-office.service", atomically: true, encoding: .utf8)
        let shown = try cli.run(["schedule", "show", "--json"], environment: environment).object()
        #expect(shown["at"] as? String == "05:15")
        #expect(shown["unit"] as? String == "quartiersync-sync-office.timer")
        let installed = try cli.run(["schedule", "install", "--at", "02:00", "--no-enable"], environment: environment)
        #expect(installed.status == 0, "\(installed.error)")
        #expect(installed.output.contains("Not enabled (--no-enable)"))
        #expect(!installed.output.contains("No user systemd answered"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files.count == 2 && !files.contains("quartiersync-sync-office.timer"), "\(files)")
        #expect(
            try cli.run(["schedule", "show", "--json"], environment: environment).object()["at"] as? String == "02:00")
    }
}
