import ArgumentParser
import Foundation
import SyncCore
import SyncKernel
import SyncRemote

/// `syncctl status`
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what waits to be synced or decided, and warn when the office is behind.",
        discussion: """
            Warns when the last successful sync is older than --stale-after (default 48h, or \
            $SYNCCTL_STALE_AFTER) or conflicts are open. The exit code stays 0: a warning is \
            not a failure ('status --json' carries it as "warnings" for monitoring).
            """)

    @OptionGroup var replica: ReplicaOptions
    @Option(
        help: ArgumentHelp("Warn when the last successful sync is older than this (e.g. 36h, 2d).", valueName: "span"))
    var staleAfter: TimeSpan?
    @Flag(help: "Print the status as JSON.") var json = false

    func run() throws {
        let opened = try replica.open()
        let status = try opened.status()
        let refused = try opened.refusedWrites()
        let stuck = StuckSync(history: try opened.syncRuns(limit: 20))
        let limit =
            staleAfter ?? ProcessInfo.processInfo.environment["SYNCCTL_STALE_AFTER"].flatMap(TimeSpan.init(argument:))
            ?? TimeSpan(seconds: 48 * 3600)
        let report = Report(status: status, refused: refused, stuck: stuck, staleAfter: limit, now: Date())
        if json { return try Output.json(report) }
        print("Office:          \(status.office)")
        print("Replica:         \(status.replicaId)")
        print("Contacts:        \(status.contacts)")
        print("Activities:      \(status.activities)")
        print("Pending changes: \(status.pendingChanges)")
        print("Last sync:       \(status.lastSyncAt ?? "never")")
        print("Open conflicts:  \(status.openConflicts)")
        if status.handingOver > 0 { print("Handing over:    \(status.handingOver)") }
        if !refused.isEmpty { print("Refused changes: \(refused.count)") }
        for refusal in refused {
            print("  refused: \(refusal.table) \(refusal.id) (\(refusal.code)): \(refusal.message)")
            print("    to do: \(Self.advice(for: refusal))")
        }
        if !refused.isEmpty {
            print("  One that can never be taken (deleted here, say): 'syncctl refused discard ID --reason TEXT'.")
        }
        for warning in report.warnings { print("warning: \(warning)") }
    }

    /// What an office does about a refused change of its own, naming the command to run.
    static func advice(for refusal: Replica.RefusedWrite) -> String {
        let noun = SyncTable(rawValue: refusal.table)?.singular ?? refusal.table
        switch refusal.code {
        case StateRefusal.invalidState:
            return "fix it with 'syncctl \(noun) edit \(refusal.id) …' or remove it with "
                + "'syncctl \(noun) delete \(refusal.id)'; the next sync sends it again"
        case WriteScope.Refusal.outsideScope.rawValue, WriteScope.Refusal.legacyCreatedOutsideScope:
            return "if this office created it, give it one of this office's Quartiere with 'syncctl \(noun) edit "
                + "\(refusal.id) --quartier Q' or remove it with 'syncctl \(noun) delete \(refusal.id)'; else leave "
                + "it to an office of its Quartier (or the server admin)"
        case WriteScope.Refusal.conflictingDot.rawValue:
            return "this replica file is a copy of another office's, or restored from an old backup: stop using "
                + "it, make a new one with 'syncctl init', enter this office's unsynced changes there (see "
                + "docs/operations.md, 'A copied or restored replica')"
        case WriteScope.Refusal.foreignVersion.rawValue:
            return "nothing: every sync sends it again, and the server takes it once the other office has synced; "
                + "if it is still refused after that office's next sync, tell the server admin (docs/operations.md, "
                + "'Restoring the server')"
        case WriteScope.Refusal.rewritesKnownVersions.rawValue:
            return "run 'syncctl sync' again (it pulls first), then edit the \(noun) again if the change is missing"
        default:
            return "leave it to an office of its Quartier (or the server admin); "
                + "'syncctl \(noun) show \(refusal.id)' shows what this office holds"
        }
    }

    /// What `status --json` prints: the replica's status, whether it is stale, and warnings.
    struct Report: Encodable {
        var status: ReplicaStatus
        /// Local changes the server refused (they break a rule, or belong to Quartiere this
        /// office does not serve).
        var refused: [Replica.RefusedWrite]
        /// Set when the latest syncs failed the same way (``StuckSync/threshold`` or more).
        var stuck: StuckSync?
        /// The limit in effect, e.g. `48h`.
        var staleAfter: String
        /// No successful sync within the limit.
        var stale: Bool
        /// What needs a person, in words (empty when all is well).
        var warnings: [String]

        init(
            status: ReplicaStatus, refused: [Replica.RefusedWrite], stuck: StuckSync?, staleAfter limit: TimeSpan,
            now: Date
        ) {
            self.status = status
            self.refused = refused
            self.stuck = stuck
            staleAfter = limit.description
            var warnings: [String] = []
            let last = status.lastSyncAt.flatMap { try? Date($0, strategy: .iso8601) }
            if let last {
                let age = Int(now.timeIntervalSince(last))
                stale = now.timeIntervalSince(last) > Double(limit.seconds)
                if stale {
                    warnings.append(
                        "no successful sync for \(TimeSpan(seconds: age >= 3600 ? age / 3600 * 3600 : age)) (limit \(limit)): check 'syncctl log' and 'syncctl schedule show'"
                    )
                }
            } else {
                stale = true
                warnings.append("this office has never synced: run 'syncctl sync'")
            }
            if status.openConflicts > 0 {
                warnings.append(
                    "\(status.openConflicts) open conflict\(status.openConflicts == 1 ? "" : "s"): see 'syncctl conflicts list'"
                )
            }
            if let stuck {
                warnings.append(
                    "the last \(stuck.failedSyncs) syncs failed the same way (\(stuck.result), since \(stuck.since)): "
                        + stuck.advice)
            }
            if !status.unservedQuartiere.isEmpty {
                warnings.append(
                    "no office serves \(status.unservedQuartiere.joined(separator: ", ")): this office keeps those "
                        + "Quartiere's records until one does; ask the server admin to give "
                        + "\(status.unservedQuartiere.count == 1 ? "it" : "them") to an office ('sync-server office add')"
                )
            }
            if !refused.isEmpty {
                warnings.append(
                    "the server refused \(refused.count) change\(refused.count == 1 ? "" : "s") of this office: "
                        + "\(refused.count == 1 ? "it reached" : "they reached") no other office; "
                        + "the office's other changes synced; what to do is listed with each")
            }
            self.warnings = warnings
        }

        func encode(to encoder: any Encoder) throws {
            // The status's own keys at the top level, beside these.
            try status.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(staleAfter, forKey: .staleAfter)
            try container.encode(stale, forKey: .stale)
            try container.encode(warnings, forKey: .warnings)
            try container.encode(refused, forKey: .refused)
            try container.encode(stuck, forKey: .stuck)
        }

        enum CodingKeys: String, CodingKey { case staleAfter, stale, warnings, refused, stuck }
    }
}
