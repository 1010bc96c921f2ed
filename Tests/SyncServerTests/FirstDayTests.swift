import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// docs/operations.md, "Your first day", run exactly as written: the one `sh` block of that
/// section, pasted into bash in a fresh home, with the binaries this test run built.
@Suite("The first day in operations.md")
struct FirstDayTests {
    /// A TCP port nobody listens on at the moment.
    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) & 0o777
    }

    @Test("the first day runs as written: offices, admin, first sync, schedule, backup, a conflict settled")
    func firstDay() throws {
        let script = try ShellBlock.first(after: "## Your first day", in: "docs/operations.md")
        let home = TemporaryDirectory("quartiersync-first-day")
        let file = home.file("first-day.sh")
        let port = PostgresCluster.freePort()
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try Command.run(
            "/bin/bash", ["-e", "-o", "pipefail", file],
            environment: [
                "HOME": home.path, "PATH": Binaries.directory + ":/usr/bin:/bin", "PORT": String(port),
                "XDG_CONFIG_HOME": home.file("config"), "SYNCCTL_SYSTEMCTL": home.file("no-systemctl"),
            ], timeout: 300)
        #expect(result.status == 0, "\(result.output)\n\(result.error)")
        #expect(!result.timedOut)
        // The admin settled the conflict: Kuckuck's number at Kuckuck Süd.
        let shown = result.output.components(separatedBy: "\n").filter { $0.contains("phone") }.last ?? ""
        #expect(shown.contains("05151 000002"), "\(result.output)")
        // Kuckuck's own contact coming back counts as held, not as received.
        #expect(result.output.contains("received 0 new (and 1 already here)"), "\(result.output)")
        // No token reached the terminal; every file holding one, or personal data, is 0600.
        #expect(!result.output.contains("qs_") && !result.error.contains("qs_"))
        #expect(!result.output.contains("qsa_") && !result.error.contains("qsa_"))
        let trial = home.path + "/quartiersync-trial"
        let files = try FileManager.default.contentsOfDirectory(atPath: trial)
        let backup = try #require(files.first { $0.hasPrefix("server-") && $0.hasSuffix(".sqlite") })
        for name in ["kuckuck.token", "kuckuck-sued.token", "admin.token", "server.sqlite", "kuckuck.sqlite", backup] {
            #expect(try mode(trial + "/" + name) == 0o600, "\(name)")
        }
        let units = try FileManager.default.contentsOfDirectory(atPath: home.file("config") + "/systemd/user")
        #expect(units.contains { $0.hasPrefix("quartiersync-sync-kuckuck-") && $0.hasSuffix(".timer") }, "\(units)")
        // The trap stopped the trial server.
        var running = true
        for _ in 0..<50 where running {
            running = try Command.run("/usr/bin/pgrep", ["-f", "serve --db server.sqlite --port \(port)"]).status == 0
            if running { usleep(100_000) }
        }
        #expect(!running, "the trial server still runs")
    }
}
