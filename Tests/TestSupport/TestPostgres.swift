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
        return start(name: "quartiersync-pg-\(getpid())", port: PostgresCluster.freePort())
    }()

    /// A cluster of its own, for a test that restarts it (the shared one serves tests running
    /// meanwhile); nil without PostgreSQL binaries. Stopped when the test run ends.
    public static let restartable: PostgresCluster? = {
        guard installed else { return nil }
        return start(name: "quartiersync-pg-restart-\(getpid())", port: PostgresCluster.freePort())
    }()

    /// Starts a cluster in a new directory `name` of the temporary directory, on `port`.
    static func start(name: String, port: Int) -> PostgresCluster {
        let directory = NSTemporaryDirectory() + name
        // PostgreSQL is installed, so its tests must run: a cluster that does not start fails
        // the run rather than skipping them.
        let (status, output) = Command.shell("'\(script)' start '\(directory)' \(port)")
        guard status == 0 else {
            fatalError("could not start a PostgreSQL cluster for the tests (\(directory)): \(output)")
        }
        let first = startedLock.withLock {
            started.append(directory)
            return started.count == 1
        }
        if first {
            atexit {
                for directory in TestPostgres.startedLock.withLock({ TestPostgres.started }) {
                    _ = Command.shell("'\(TestPostgres.script)' stop '\(directory)'")
                    try? FileManager.default.removeItem(atPath: directory)
                }
            }
        }
        return PostgresCluster(url: "postgres://postgres@127.0.0.1:\(port)", dataDirectory: directory + "/data")
    }

    /// The clusters this test run started (each static above starts at most one, once).
    nonisolated(unsafe) static var started: [String] = []
    static let startedLock = NSLock()

    /// Whether PostgreSQL's server binaries are installed.
    public static var installed: Bool {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.contains {
            FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb")
        }
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
