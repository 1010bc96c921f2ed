import Foundation
import ProcessHarness
import Testing

/// The PostgreSQL cluster the tests use: `QS_POSTGRES_URL` (and `QS_POSTGRES_DATA`, its data
/// directory) when set — `.ci/run` starts one — else a cluster started here for this test run
/// with `scripts/test-postgres` when PostgreSQL's server binaries are installed. Nil only
/// without them: the PostgreSQL tests then say so and are skipped.
public enum TestPostgres {
    /// The cluster, or nil without PostgreSQL binaries.
    public static let cluster: PostgresCluster? = {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["QS_POSTGRES_URL"] {
            return PostgresCluster(url: url, dataDirectory: environment["QS_POSTGRES_DATA"])
        }
        guard installed else { return nil }
        let directory = NSTemporaryDirectory() + "quartiersync-pg-\(getpid())"
        let port = 40000 + Int(getpid() % 20000)
        // PostgreSQL is installed, so its tests must run: a cluster that does not start fails
        // the run rather than skipping them.
        let (status, output) = shell("'\(script)' start '\(directory)' \(port)")
        guard status == 0 else {
            fatalError("could not start a PostgreSQL cluster for the tests (\(directory)): \(output)")
        }
        atexit {
            let directory = NSTemporaryDirectory() + "quartiersync-pg-\(getpid())"
            _ = TestPostgres.shell("'\(TestPostgres.script)' stop '\(directory)'")
            try? FileManager.default.removeItem(atPath: directory)
        }
        return PostgresCluster(url: "postgres://postgres@127.0.0.1:\(port)", dataDirectory: directory + "/data")
    }()

    /// Runs `command` with `/bin/sh` and waits (popen: no run loop, so it works wherever the
    /// first test that needs the cluster happens to run); returns its exit status and output.
    static func shell(_ command: String) -> (Int32, String) {
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

    /// Whether PostgreSQL's server binaries are installed.
    public static var installed: Bool {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }
    }

    /// `scripts/test-postgres`.
    public static let script = ShellBlock.root + "/scripts/test-postgres"

    /// Why a PostgreSQL test is skipped.
    public static let skipped: Comment = """
        skipped: no PostgreSQL server binaries here. Install them (apt-get install postgresql-15; .ci/run does \
        and runs these tests), or point QS_POSTGRES_URL and QS_POSTGRES_DATA at a cluster \
        (scripts/test-postgres start DIR PORT)
        """
}
