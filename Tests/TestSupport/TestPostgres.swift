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
        guard let result = try? Command.run("/bin/bash", [script, "start", directory, String(port)], timeout: 120),
            result.status == 0
        else {
            FileHandle.standardError.write(Data("could not start a PostgreSQL cluster for the tests\n".utf8))
            return nil
        }
        atexit {
            let directory = NSTemporaryDirectory() + "quartiersync-pg-\(getpid())"
            _ = try? Command.run("/bin/bash", [TestPostgres.script, "stop", directory], timeout: 60)
            try? FileManager.default.removeItem(atPath: directory)
        }
        return PostgresCluster(url: "postgres://postgres@127.0.0.1:\(port)", dataDirectory: directory + "/data")
    }()

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
