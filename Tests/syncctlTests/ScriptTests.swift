import Foundation
import TestSupport
import Testing

/// The scripts in `scripts/` run as a person would run them, with the `syncctl` this test run
/// built (a script builds it itself when run by hand). `scripts/check-format` is run by
/// `.ci/run` on every submission.
@Suite("Scripts")
struct ScriptTests {
    @Test("scripts/walkthrough works offline: edits through syncctl and the sqlite3 shell count as pending")
    func walkthrough() throws {
        let result = try Command.run(
            "/bin/bash", [ShellBlock.root + "/scripts/walkthrough"], environment: ["SYNCCTL": Binaries.syncctl])
        #expect(result.status == 0, "\(result.error)")
        // The contact's id reached the activity as its organiser, the shell's rows were
        // captured, and a wrong Handlungsfeld was refused.
        #expect(result.output.contains("Arbeitskreis Gemeinwesenarbeit"), "\(result.output)")
        #expect(result.output.contains("Max Muster"), "\(result.output)")
        #expect(result.output.contains("\"pendingChanges\":5"), "\(result.output)")
        #expect(result.error.contains("handlungsfeld is not a known Handlungsfeld"), "\(result.error)")
    }

    @Test(
        "scripts/test-postgres starts a cluster on loopback, restarts it and stops it",
        .enabled(if: TestPostgres.installed, TestPostgres.skipped))
    func testPostgres() throws {
        let directory = NSTemporaryDirectory() + "quartiersync-script-pg-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = PostgresCluster.freePort()
        let started = Command.shell("'\(TestPostgres.script)' start '\(directory)' \(port)")
        #expect(started.status == 0, "\(started.output)")
        #expect(started.output.contains("QS_POSTGRES_URL=postgres://postgres@127.0.0.1:\(port)"))
        let cluster = PostgresCluster(url: "postgres://postgres@127.0.0.1:\(port)", dataDirectory: directory + "/data")
        #expect(try cluster.sql("SELECT current_setting('listen_addresses')") == "127.0.0.1")
        try cluster.restart(script: TestPostgres.script)
        #expect(try cluster.sql("SELECT 1") == "1")
        #expect(Command.shell("'\(TestPostgres.script)' stop '\(directory)'").status == 0)
        #expect(throws: CommandError.self) { try cluster.sql("SELECT 1") }
    }

    @Test("scripts/install puts both binaries and their bash, zsh and fish completions under a prefix")
    func install() throws {
        let prefix = NSTemporaryDirectory() + "quartiersync-install-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        // The man pages come from a build of their own (.ci/run installs them); here the
        // binaries this test run built.
        let result = try Command.run(
            "/bin/bash", [ShellBlock.root + "/scripts/install", prefix],
            environment: ["QS_BIN_DIR": Binaries.directory, "QS_MANUAL_CONFIGURATION": "none"])
        #expect(result.status == 0, "\(result.error)")
        for tool in ["syncctl", "sync-server"] {
            #expect(FileManager.default.isExecutableFile(atPath: prefix + "/bin/" + tool))
            let bash = try String(
                contentsOfFile: prefix + "/share/bash-completion/completions/" + tool, encoding: .utf8)
            #expect(bash.contains("complete") && bash.contains(tool))
            #expect(FileManager.default.fileExists(atPath: prefix + "/share/zsh/site-functions/_" + tool))
            #expect(FileManager.default.fileExists(atPath: prefix + "/share/fish/vendor_completions.d/\(tool).fish"))
        }
        let completion = try String(
            contentsOfFile: prefix + "/share/bash-completion/completions/syncctl", encoding: .utf8)
        #expect(completion.contains("refused") && completion.contains("backup"))
        let installed = try Command.run(prefix + "/bin/syncctl", ["--help"])
        #expect(installed.status == 0 && installed.output.contains("refused"))
    }

    @Test("the README's offline block runs as written, and the shell's edit counts as pending")
    func readmeOfflineBlock() throws {
        let block = try ShellBlock.first(after: "## Working offline with `syncctl`", in: "README.md")
        let home = NSTemporaryDirectory() + "quartiersync-readme-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let script = home + "/offline.sh"
        try ("cd \"$HOME\"\n" + block).write(
            toFile: script, atomically: true, encoding: .utf8)
        let result = try Command.run(
            "/bin/bash", ["-e", "-o", "pipefail", script],
            environment: ["HOME": home, "PATH": Binaries.directory + ":/usr/bin:/bin"], timeout: 120)
        #expect(result.status == 0, "\(result.output)\n\(result.error)")
        #expect(result.output.contains("Sommerfest"), "the shell's edit shows in the list")
        #expect(FileManager.default.fileExists(atPath: home + "/kuckuck-backup.sqlite"))
        let exported =
            try FileManager.default.attributesOfItem(atPath: home + "/contacts.csv")[.posixPermissions] as? Int
        #expect(exported.map { $0 & 0o777 } == 0o600)
    }
}

/// The README's first command, the demo, as a new user runs it.
@Suite("README demo")
struct DemoTests {
    @Test("the README's first command runs the demo: offices sync through a real server, nothing reported as failed")
    func readmeDemo() throws {
        // The block's first command builds and runs `quartiersync-demo`; this test run built it.
        let block = try ShellBlock.first(after: "## Two commands", in: "README.md")
        let commands = block.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(commands == ["swift build && swift run quartiersync-demo", "swift test"], "\(commands)")
        let home = NSTemporaryDirectory() + "quartiersync-demo-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let result = try Command.run(
            Binaries.demo, [], environment: ["HOME": home, "TMPDIR": home + "/"], timeout: 120)
        #expect(result.status == 0, "\(result.error)")
        // Every step reached its end, and each check the demo makes says yes.
        #expect(result.output.contains("9. Kuckuck moves"), "\(result.output)")
        #expect(
            result.output.contains("Kuckuck keeps nothing of it (no row, no stored state): yes; Altstadt shows it: yes")
        )
        #expect(result.output.contains("Kuckuck and Altstadt list the same conflict: yes"))
        #expect(!result.output.contains("NO"), "\(result.output)")
        #expect(result.output.hasSuffix("The server is stopped now; nothing keeps running.\n"))
        // Nothing is left behind: the temporary directory is removed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: home).isEmpty)
    }
}

/// What goes onto an office's laptop: `syncctl`, with no server in it.
@Suite("The office's binary")
struct OfficeBinaryTests {
    @Test("syncctl links no server (Hummingbird, Prometheus) and points from 'demo' to the demo's own program")
    func noServerInSyncctl() throws {
        let symbols = try Command.run("/usr/bin/nm", ["--defined-only", Binaries.syncctl])
        #expect(symbols.status == 0, "\(symbols.error)")
        #expect(symbols.output.contains("SyncRemote"), "nm reads the binary's Swift symbols")
        for module in ["11Hummingbird", "10Prometheus", "11SyncServer"] {
            #expect(!symbols.output.contains(module), "syncctl carries \(module)")
        }
        let demo = try Command.run(Binaries.syncctl, ["demo"])
        #expect(demo.status == 64)
        #expect(demo.error.contains("run 'quartiersync-demo'"), "\(demo.error)")
    }
}

/// `sync-server` shares `syncctl`'s main: a mistyped command is named with the one meant.
@Suite("sync-server's command line")
struct ServerCommandLineTests {
    @Test("sync-server names a mistyped command and the one meant, before any option is read")
    func mistypedCommand() throws {
        let result = try Command.run(Binaries.server, ["offce", "add", "Kuckuck", "--quartiers", "kuckuck"])
        #expect(result.status == 64)
        #expect(
            result.error == "sync-server: 'offce' is not a command of 'sync-server': did you mean 'office'? "
                + "('sync-server --help' lists them)\n", "\(result.error)")
    }
}
