import ArgumentParser
import Foundation
import Logging
import ProcessHarness
import SyncCore
import SyncKernel
import SyncRemote

/// `sync-bench`: capture, apply and sync measured against raw SQLite in one run.
@main
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-bench",
        abstract: "Measure QuartierSync against raw SQLite on this machine (build with -c release).",
        discussion: "Figures and how to read them: docs/benchmarks.md. --records 1000 is the quick smoke run CI uses.")

    @Option(help: "Records for capture, apply and the initial sync.") var records = 100_000
    @Option(help: "Concurrent offices for the server figures.") var offices = 50
    @Option(help: "Changes per incremental sync.") var changes = 1000
    @Option(
        parsing: .upToNextOption,
        help: "Replica sizes for the incremental sync (default: records/10, records, records×10).")
    var incrementalSizes: [Int] = []
    @Option(help: "The random seed of the generated rows.") var seed: UInt64 = 2025
    @Option(help: "Directory holding sync-server and syncctl (default: next to sync-bench).") var binaries: String?
    @Option(help: "Runs of the in-process measurements (baseline, capture, fold, apply); the median is reported.")
    var repetitions = 3
    @Flag(
        help:
            "Give the generated records random (version 4) ids, as if imported from elsewhere, instead of the time-ordered ids SyncCore creates."
    )
    var randomIds = false
    @Flag(help: "Print all figures as one JSON object.") var json = false
    @Flag(help: "Measure only the baseline, capture, fold and apply (no processes; for profiling).")
    var localOnly = false
    @Option(
        help: ArgumentHelp(
            "A PostgreSQL cluster (postgres://USER@HOST:PORT, no database; or a database URL, whose cluster is used): "
                + "the server figures are measured on SQLite and on PostgreSQL side by side, each run in a new database.",
            valueName: "url"))
    var store: String?
    @Option(parsing: .upToNextOption, help: "Office counts for the side-by-side server figures (with --store).")
    var storeOffices: [Int] = []
    @Option(help: "With --store, also measure this many servers on one PostgreSQL database (1: only one).")
    var servers = 2

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let directory = NSTemporaryDirectory() + "sync-bench-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bench = Bench(
            directory: directory, binaries: Executables(override: binaries), seed: seed, changes: changes,
            randomIDs: randomIds,
            log: { if !json { FileHandle.standardError.write(Data("… \($0)\n".utf8)) } })
        var report = Report(records: records, offices: offices, ids: randomIds ? "random" : "time-ordered")

        let rows = bench.contacts(count: records, salt: 0)
        // The in-process figures are short runs on a VM whose speed drifts: each is run
        // `repetitions` times, interleaved, and the median is reported.
        var runs: [(insert: Double, upsert: Double, capture: Double, fold: Double, apply: Double)] = []
        for run in 0..<max(1, repetitions) {
            let baseline = try RawSQLiteBaseline(path: directory + "/baseline-\(run).sqlite").run(rows: rows)
            let local = try await bench.captureAndApply(rows: rows, run: run)
            runs.append((baseline.insert, baseline.upsert, local.capture, local.fold, local.apply))
            bench.log(
                "run \(run + 1): baseline \(Int(baseline.insert)) inserts/s, \(Int(baseline.upsert)) upserts/s; capture \(Int(local.capture))/s, fold \(Int(local.fold))/s, apply \(Int(local.apply))/s"
            )
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        report.baselineInsertPerSecond = median(runs.map(\.insert))
        report.baselineUpsertPerSecond = median(runs.map(\.upsert))
        report.capturePerSecond = median(runs.map(\.capture))
        report.foldPerSecond = median(runs.map(\.fold))
        report.applyPerSecond = median(runs.map(\.apply))

        if localOnly {
            report.endToEnd = false
            print(json ? report.json() : report.table())
            return
        }
        let sizes = incrementalSizes.isEmpty ? [max(records / 10, 1), records, records * 10] : incrementalSizes
        for size in Set(sizes + [records]).sorted() {
            let result = try await bench.endToEnd(size: size)
            if size == records {
                report.initialSyncSeconds = result.initialSeconds
                report.initialSyncBytes = result.initialBytes
            }
            if sizes.contains(size) { report.incrementalBySize[size] = result.incrementalMs }
            report.peakRSSClientMB = max(report.peakRSSClientMB, result.clientPeakMB)
            report.peakRSSServerMB = max(report.peakRSSServerMB, result.serverPeakMB)
            bench.log(
                "N=\(size): initial \(String(format: "%.2f", result.initialSeconds)) s, incremental \(String(format: "%.1f", result.incrementalMs)) ms, RSS client \(Int(result.clientPeakMB)) MB server \(Int(result.serverPeakMB)) MB"
            )
        }
        let server = try await bench.concurrentOffices(count: offices)
        report.serverChangesPerSecond = server.changesPerSecond
        report.serverP99Ms = server.p99Ms
        report.peakRSSServerMB = max(report.peakRSSServerMB, server.serverPeakMB)
        if let store {
            report.stores = try await storesSideBySide(bench, cluster: Self.cluster(store))
        }
        let flood = try await bench.flood()
        report.honestSyncBesideFloodMs = flood.honestSyncMs
        report.floodAnswers = (flood.floodOK, flood.floodSlowedDown)
        report.floodServerPeakMB = flood.serverPeakMB
        bench.log(
            "flood: honest sync \(Int(flood.honestSyncMs)) ms, flood answered 200 × \(flood.floodOK), 429 × \(flood.floodSlowedDown), server peak \(Int(flood.serverPeakMB)) MB"
        )
        print(json ? report.json() : report.table())
    }

    /// The cluster of `url`: its database part, if any, is dropped (each run makes its own).
    static func cluster(_ url: String) throws -> PostgresCluster {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw ValidationError("--store takes a postgres:// URL")
        }
        let afterScheme = url.range(of: "://")!.upperBound
        let base = url[afterScheme...].firstIndex(of: "/").map { String(url[..<$0]) } ?? url
        return PostgresCluster(url: base, dataDirectory: nil)
    }

    /// The server figures on SQLite (one server) and PostgreSQL (one server, and `servers`),
    /// at each office count, one after another.
    func storesSideBySide(_ bench: Bench, cluster: PostgresCluster) async throws -> [Report.StoreRow] {
        var rows: [Report.StoreRow] = []
        for count in storeOffices.isEmpty ? [offices] : storeOffices {
            // 10,000 new contacts in all, whatever the number of offices: the figures compare
            // how the stores take many offices at once, not ever larger pulls.
            let contacts = max(10, 10_000 / count)
            var runs = [
                Bench.ServerRun(postgres: nil, offices: count, servers: 1, contactsPerOffice: contacts, phased: true)
            ]
            runs.append(
                Bench.ServerRun(
                    postgres: cluster, offices: count, servers: 1, contactsPerOffice: contacts, phased: true))
            if servers > 1 {
                runs.append(
                    Bench.ServerRun(
                        postgres: cluster, offices: count, servers: servers, contactsPerOffice: contacts, phased: true))
            }
            for run in runs {
                let figures = try await bench.concurrentOffices(run)
                bench.log(
                    "\(run.label): \(Int(figures.changesPerSecond)) changes/s, \(Int(figures.pushesPerSecond)) pushes/s (p99 \(Int(figures.pushP99Ms)) ms), \(Int(figures.pullsPerSecond)) pulls/s (p99 \(Int(figures.pullP99Ms)) ms)"
                )
                rows.append(
                    Report.StoreRow(
                        store: run.postgres == nil ? "sqlite" : "postgres", offices: run.offices, servers: run.servers,
                        figures: figures))
            }
        }
        return rows
    }
}
