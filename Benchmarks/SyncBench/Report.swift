import Foundation
import ProcessHarness
import SyncKernel
import SyncRemote

/// Every figure of one run, as a table or as one JSON object.
struct Report {
    var records: Int
    var offices: Int
    /// "time-ordered" (as SyncCore creates ids) or "random" (`--random-ids`).
    var ids: String
    var baselineInsertPerSecond = 0.0
    var baselineUpsertPerSecond = 0.0
    var capturePerSecond = 0.0
    var foldPerSecond = 0.0
    var applyPerSecond = 0.0
    var initialSyncSeconds = 0.0
    var initialSyncBytes = 0
    var incrementalBySize: [Int: Double] = [:]
    var serverChangesPerSecond = 0.0
    var serverP99Ms = 0.0
    var peakRSSClientMB = 0.0
    var peakRSSServerMB = 0.0
    /// An honest office's sync beside one office flooding the server, and what the flood got.
    var honestSyncBesideFloodMs = 0.0
    var floodAnswers = (ok: 0, slowedDown: 0)
    var floodServerPeakMB = 0.0

    /// One store configuration of the side-by-side server figures (`--store`).
    struct StoreRow {
        var store: String
        var offices: Int
        var servers: Int
        var figures: Bench.ServerFigures
    }

    /// The server figures per store, office count and number of servers (`--store`).
    var stores: [StoreRow] = []

    /// Whether the end-to-end figures were measured (not with `--local-only`).
    var endToEnd = true

    var incrementalSyncMs: Double { incrementalBySize[records] ?? incrementalBySize.values.max() ?? 0 }

    func json() -> String {
        let sizes = incrementalBySize.keys.sorted().map { "\"\($0)\": \(round1($0 == 0 ? 0 : incrementalBySize[$0]!))" }
        let fields: [(String, String)] = [
            ("records", "\(records)"), ("offices", "\(offices)"), ("ids", "\"\(ids)\""),
            ("baseline_insert_per_s", "\(Int(baselineInsertPerSecond))"),
            ("baseline_upsert_per_s", "\(Int(baselineUpsertPerSecond))"),
            ("capture_per_s", "\(Int(capturePerSecond))"), ("fold_per_s", "\(Int(foldPerSecond))"),
            ("apply_per_s", "\(Int(applyPerSecond))"),
            ("apply_vs_upsert_baseline", "\(round1(baselineUpsertPerSecond / max(applyPerSecond, 1)))"),
            ("initial_sync_s", "\(round3(initialSyncSeconds))"), ("initial_sync_bytes", "\(initialSyncBytes)"),
            ("incremental_sync_ms", "\(round1(incrementalSyncMs))"),
            ("incremental_by_size", "{" + sizes.joined(separator: ", ") + "}"),
            ("server_changes_per_s", "\(Int(serverChangesPerSecond))"), ("server_p99_ms", "\(round1(serverP99Ms))"),
            ("peak_rss_mb", "{\"client\": \(round1(peakRSSClientMB)), \"server\": \(round1(peakRSSServerMB))}"),
            (
                "stores",
                "["
                    + stores.map {
                        "{\"store\": \"\($0.store)\", \"offices\": \($0.offices), \"servers\": \($0.servers), \"changes_per_s\": \(Int($0.figures.changesPerSecond)), \"pushes_per_s\": \(Int($0.figures.pushesPerSecond)), \"push_p99_ms\": \(round1($0.figures.pushP99Ms)), \"pulls_per_s\": \(Int($0.figures.pullsPerSecond)), \"pull_p99_ms\": \(round1($0.figures.pullP99Ms)), \"server_peak_rss_mb\": \(round1($0.figures.serverPeakMB))}"
                    }.joined(separator: ", ") + "]"
            ),
            (
                "flood",
                "{\"honest_sync_ms\": \(round1(honestSyncBesideFloodMs)), \"answered_200\": \(floodAnswers.ok), \"answered_429\": \(floodAnswers.slowedDown), \"server_peak_rss_mb\": \(round1(floodServerPeakMB))}"
            ),
        ]
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}"
    }

    func table() -> String {
        var lines = ["sync-bench: \(records) records (\(ids) ids), \(offices) offices", ""]
        func row(_ name: String, _ value: String, _ target: String = "") {
            lines.append(
                name.padding(toLength: 31, withPad: " ", startingAt: 0)
                    + value.padding(toLength: 18, withPad: " ", startingAt: 0) + target)
        }
        row("figure", "value", "target")
        row("baseline_insert_per_s", "\(Int(baselineInsertPerSecond))")
        row("baseline_upsert_per_s", "\(Int(baselineUpsertPerSecond))")
        row("capture_per_s", "\(Int(capturePerSecond))", "≥ 100000")
        row("fold_per_s", "\(Int(foldPerSecond))")
        row("apply_per_s", "\(Int(applyPerSecond))", "≥ 150000, ≤ 2× baseline upsert")
        guard endToEnd else {
            lines.append("(end-to-end figures not measured: --local-only)")
            return lines.joined(separator: "\n")
        }
        row("initial_sync_s", String(format: "%.2f", initialSyncSeconds), "< 3 s at 100k")
        row("initial_sync_bytes", "\(initialSyncBytes)")
        for size in incrementalBySize.keys.sorted() {
            row("incremental_sync_ms N=\(size)", String(format: "%.1f", incrementalBySize[size]!), "< 150 ms")
        }
        row("server_changes_per_s", "\(Int(serverChangesPerSecond))")
        row("server_p99_ms", String(format: "%.1f", serverP99Ms))
        row("peak_rss_mb client", String(format: "%.1f", peakRSSClientMB), "< 100 MB")
        row("peak_rss_mb server", String(format: "%.1f", peakRSSServerMB), "< 100 MB")
        if !stores.isEmpty {
            lines.append("server figures by store (--store): pushes/s, push p99, pulls/s, pull p99, changes/s")
            for store in stores {
                lines.append(
                    "  \(store.store) offices=\(store.offices) servers=\(store.servers): "
                        + "\(Int(store.figures.pushesPerSecond)) push/s, p99 \(Int(store.figures.pushP99Ms)) ms; "
                        + "\(Int(store.figures.pullsPerSecond)) pull/s, p99 \(Int(store.figures.pullP99Ms)) ms; "
                        + "\(Int(store.figures.changesPerSecond)) changes/s")
            }
        }
        row("honest_sync_beside_flood_ms", String(format: "%.0f", honestSyncBesideFloodMs), "< 2000 ms")
        row("flood_server_peak_rss_mb", String(format: "%.1f", floodServerPeakMB), "< 512 MB")
        return lines.joined(separator: "\n")
    }

    private func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }
    private func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
