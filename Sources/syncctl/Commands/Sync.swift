import ArgumentParser
import Foundation
import SyncCore
import SyncKernel
import SyncRemote

/// `syncctl sync`
struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push this office's pending changes to the server, then pull everyone else's.",
        discussion: """
            Safe to interrupt at any point: the next sync continues where this one stopped. \
            Exit codes: 75 server unreachable, 76 server error, 77 token refused, 78 no server set, \
            79 another sync of this replica is running. Local data and pending changes are never \
            touched by a failed sync. With --retry N (for unattended runs), outcomes 75 and 76 \
            are tried again up to N times, waiting 30s, 1m, 2m, ... (each cut by a random part, \
            at most 15m) as long as the attempt still starts within --retry-window; every \
            attempt is recorded in 'syncctl log'.
            """)

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "States per request.") var batchSize = 500
    @Option(help: "Seconds before a request gives up.") var timeout: Double = 60
    @Option(help: "Try again this often when the server is unreachable or fails (75, 76).") var retry = 0
    @Option(help: ArgumentHelp("Start no attempt later than this after the first.", valueName: "span"))
    var retryWindow = TimeSpan(seconds: 3600)
    @Option(help: .hidden) var retryBase = TimeSpan(seconds: 30)
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        guard retry >= 0 else { throw ValidationError("--retry must be 0 or more") }
    }

    func run() async throws {
        let replica = try replica.open()
        let display = ProgressDisplay()
        let sync = RemoteSync(batchSize: batchSize, timeout: timeout)
        let started = Date()
        var attempt = 0
        let summary: RemoteSync.Summary
        while true {
            do {
                summary = try await sync.run(replica) { progress in display.show(progress) }
                break
            } catch let error as SyncError where [.serverUnreachable, .serverError].contains(error.code) {
                display.finish()
                let delay = Self.backoff(attempt: attempt, base: retryBase.seconds)
                let startsWithin =
                    Date().addingTimeInterval(delay).timeIntervalSince(started) <= Double(retryWindow.seconds)
                guard attempt < retry, startsWithin else { throw error }
                attempt += 1
                Output.note(
                    "attempt \(attempt) of \(retry + 1) failed (\(error.code)); trying again in \(Int(delay.rounded()))s"
                )
                try await Task.sleep(for: .seconds(delay))
            }
        }
        display.finish()
        if json {
            try Output.json(
                Report(
                    sent: summary.sent, received: summary.received, alreadyHeld: summary.alreadyHeld,
                    merged: summary.merged,
                    conflicts: summary.conflicts, evicted: summary.evicted, erased: summary.erased,
                    recovery: "\(summary.recovery)",
                    durationMs: summary.durationMs, bytesSent: summary.bytesSent, bytesReceived: summary.bytesReceived,
                    refused: summary.refused,
                    skipped: summary.skipped.map {
                        Skipped(table: $0.key.table.rawValue, id: $0.key.id, code: $0.code, message: $0.message)
                    }))
        } else {
            switch summary.recovery {
            case .none: break
            case .resend:
                print(
                    "The server had lost changes this office holds (restored from a backup, or a new store): "
                        + "pushed every record again and pulled everything again.")
            }
            let open = try replica.status().openConflicts
            let left =
                (summary.evicted > 0 ? ", \(summary.evicted) left this office's Quartiere" : "")
                + (summary.erased > 0 ? ", \(summary.erased) erased under erasure orders" : "")
            let held = summary.alreadyHeld > 0 ? " new (and \(summary.alreadyHeld) already here)" : ""
            print(
                "Synced: sent \(summary.sent), received \(summary.received)\(held), merged \(summary.merged), "
                    + "new conflicts \(summary.conflicts) (open \(open))\(left) in \(Double(summary.durationMs) / 1000)s"
            )
            Self.explain(refused: summary.refused)
            Self.explain(skipped: summary.skipped)
        }
    }
}

extension Sync {
    /// The wait before retry `attempt + 1`: the base doubled per attempt, at most 15 minutes,
    /// then cut by a random part of up to a half, so that offices that failed together do not
    /// come back together.
    static func backoff(attempt: Int, base: Int) -> TimeInterval {
        var generator = SystemRandomNumberGenerator()
        return backoff(attempt: attempt, base: base, using: &generator)
    }

    /// ``backoff(attempt:base:)`` drawing its random part from `generator`.
    static func backoff(attempt: Int, base: Int, using generator: inout some RandomNumberGenerator) -> TimeInterval {
        let full = min(Double(base) * pow(2, Double(min(max(attempt, 0), 20))), 900)
        return full * Double.random(in: 0.5...1.0, using: &generator)
    }

    /// Says which local changes the server refused and why (standard error: a warning).
    static func explain(refused: [Replica.RefusedWrite]) {
        guard !refused.isEmpty else { return }
        Output.note(
            "The server refused \(refused.count) change\(refused.count == 1 ? "" : "s") of this office; "
                + "they stay here, marked as refused ('syncctl refused list'), and reach no other office:")
        for refusal in refused {
            Output.note("  \(refusal.table) \(refusal.id): \(refusal.message)")
        }
    }

    /// Says which pulled states were not applied (standard error: a warning).
    static func explain(skipped: [StateRefusal]) {
        guard !skipped.isEmpty else { return }
        Output.note(
            "The server sent \(skipped.count) record\(skipped.count == 1 ? "" : "s") that break a rule every store keeps; "
                + "they were not applied here (the rest was):")
        for refusal in skipped {
            Output.note("  \(refusal.key.table) \(refusal.key.id): \(refusal.message)")
        }
    }

    /// A pulled state `sync --json` lists as not applied.
    struct Skipped: Encodable {
        var table: String
        var id: String
        var code: String
        var message: String
    }

    /// What `sync --json` prints.
    struct Report: Encodable {
        var sent: Int
        /// Pulled states new here.
        var received: Int
        /// Pulled states held here already (this office's own coming back, say).
        var alreadyHeld: Int
        var merged: Int
        var conflicts: Int
        var evicted: Int
        /// Records erased here under erasure orders (docs/data-protection.md).
        var erased: Int
        /// `none` or `resend` (docs/sync-model.md, anti-entropy).
        var recovery: String
        var durationMs: Int
        var bytesSent: Int
        var bytesReceived: Int
        /// Local changes the server refused (records outside this office's Quartiere).
        var refused: [Replica.RefusedWrite]
        /// Pulled records that break a rule every store keeps, not applied here.
        var skipped: [Skipped]
    }
}

/// A one-line progress display on a terminal (standard error); silent otherwise.
final class ProgressDisplay: @unchecked Sendable {
    // Safe: `show` is called from one sync at a time, in order; the lock guards the rest.
    private let lock = NSLock()
    private let enabled = isatty(STDERR_FILENO) == 1
    private var shown = false

    func show(_ progress: RemoteSync.Progress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let left = progress.pendingLeft.map { ", \($0) pending" } ?? ""
        try? FileHandle.standardError.write(
            contentsOf: Data(
                "\r\u{1B}[2K\(progress.phase): sent \(progress.sent), received \(progress.received)\(left)".utf8))
        shown = true
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[2K".utf8)) }
    }
}
