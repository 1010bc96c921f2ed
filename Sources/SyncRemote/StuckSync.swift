import SyncCore

/// An office whose syncs keep failing the same way: what `syncctl status` warns about, with
/// what to do, before anyone notices that nothing arrived for a week.
public struct StuckSync: Sendable, Equatable, Codable {
    /// How many syncs in a row, the latest included, ended with ``result``.
    public var failedSyncs: Int
    /// The error code they ended with (e.g. `unauthorized`).
    public var result: String
    /// The latest one's message (never personal data).
    public var error: String?
    /// When the first of them started (ISO 8601 UTC).
    public var since: String
    /// What to do, in words.
    public var advice: String

    /// How many failures in a row, the same way, make a sync stuck rather than unlucky: one
    /// failed night is a network; two the same way are a cause to look into.
    public static let threshold = 2

    /// Reads the history (newest first, as ``Replica/syncRuns(limit:)`` returns it): nil when
    /// the latest sync succeeded, or fewer than ``threshold`` in a row failed the same way.
    public init?(history runs: [SyncRun]) {
        guard let latest = runs.first, latest.result != "ok" else { return nil }
        let same = runs.prefix { $0.result == latest.result }
        guard same.count >= Self.threshold else { return nil }
        failedSyncs = same.count
        result = latest.result
        error = latest.error
        since = same.last!.startedAt
        advice = Self.advice(for: latest.result)
    }

    /// What an office does about syncs ending with `code`.
    static func advice(for code: String) -> String {
        switch code {
        case "server-unreachable":
            "check this computer's network and that the server is running ('syncctl remote show' names it); "
                + "edits stay here and go with the next sync that reaches it"
        case "unauthorized":
            "the server no longer accepts this office's token: ask the server admin for a new one, then run "
                + "'syncctl remote set --token-file FILE'"
        case "rejected":
            "the server refuses what this office sends: run 'syncctl sync' by hand and give its message to the "
                + "server admin, or update syncctl if the server is newer"
        case "server-error":
            "the server fails: give the time of the failure and 'syncctl log' to the server admin"
        case Replica.interrupted:
            "syncs are stopped before they end: let the nightly sync run (is the computer switched off or asleep "
                + "at that time? see 'syncctl schedule show'), or run 'syncctl sync' and let it finish"
        case "sync-in-progress":
            "another sync of this replica is still running (or hangs): check 'syncctl schedule show' and running "
                + "syncctl processes"
        case "database", "corrupt-data", "replica-unavailable":
            "the replica file cannot be written: check free disk space and the file's permissions, and run "
                + "'sqlite3 REPLICA \"PRAGMA integrity_check\"'; restore it from a backup if that fails"
        default:
            "run 'syncctl sync' by hand to see the whole message, and 'syncctl log' for the history"
        }
    }
}
