import CoreMetrics
import Foundation
import Hummingbird
import Prometheus
import SyncProtocol

/// What the server counts, through swift-metrics, exposed at `GET /metrics` in Prometheus
/// text format (swift-prometheus). Each application has its own registry (no global
/// bootstrap), so several servers in one process — the tests, the demo — count apart.
///
/// Labels carry office names and result codes only, never personal data.
public final class ServerMetrics: Sendable {
    /// The registry `GET /metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        // Present from the start, so that a scrape before the first sync already shows them.
        for result in ["ok", "failed"] { _ = counter("quartiersync_syncs_total", ["result": result]) }
        _ = counter("quartiersync_changes_received_total", [:])
        _ = counter("quartiersync_changes_sent_total", [:])
        _ = counter("quartiersync_conflicts_resolved_total", [:])
        _ = counter("quartiersync_changes_refused_total", [:])
    }

    /// An office finished a sync (pulled to the end of its feed) or a request of its sync failed.
    func sync(of office: String, result: String) {
        counter("quartiersync_syncs_total", ["result": result]).increment()
        if result == "ok" {
            CoreMetrics.Gauge(
                label: "quartiersync_office_last_seen_seconds", dimensions: [("office", office)], factory: factory
            )
            .record(Date().timeIntervalSince1970)
        }
    }

    /// States received in pushes; `conflicts` of them opened a conflict at the server.
    func received(_ count: Int, conflicts: Int) {
        counter("quartiersync_changes_received_total", [:]).increment(by: count)
        if conflicts > 0 { counter("quartiersync_conflicts_opened_total", [:]).increment(by: conflicts) }
    }

    /// Pushed states refused because the office may not write them: worth an alert, an office
    /// is writing outside its Quartiere.
    func refused(_ count: Int) { counter("quartiersync_changes_refused_total", [:]).increment(by: count) }

    /// States sent in pulls.
    func sent(_ count: Int) { counter("quartiersync_changes_sent_total", [:]).increment(by: count) }

    /// An office's request was answered 429 `slow-down`: it asked for more than its share of the
    /// server (a flood, or more laptops syncing at once than ``ServerConfiguration/officeConcurrency``).
    func slowedDown(office: String) {
        counter("quartiersync_office_slowed_down_total", ["office": office]).increment()
    }

    /// An admin settled a conflict through the server.
    /// Erasure orders some office has not confirmed yet, and the age of the oldest such
    /// order: what an alert on the one-month deadline of Art. 12(3) DSGVO watches.
    func erasures(_ statuses: [ErasureStatus]) {
        let open = statuses.filter { !$0.outstanding.isEmpty }
        let oldest = open.compactMap { ISO8601DateFormatter.withFractions.date(from: $0.order.orderedAt) }.min()
        CoreMetrics.Gauge(label: "quartiersync_erasures_outstanding", dimensions: [], factory: factory)
            .record(Double(open.count))
        CoreMetrics.Gauge(label: "quartiersync_erasure_oldest_outstanding_seconds", dimensions: [], factory: factory)
            .record(oldest.map { Date().timeIntervalSince($0) } ?? 0)
    }

    func conflictResolved() { counter("quartiersync_conflicts_resolved_total", [:]).increment() }

    /// A request took `duration` and was answered with `status`.
    func request(_ route: String, status: Int, duration: Duration) {
        CoreMetrics.Timer(
            label: "quartiersync_request_duration_seconds",
            dimensions: [("route", route), ("status", String(status))], factory: factory
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// The Prometheus text exposition of everything counted so far.
    public func render() -> String { registry.emitToString() }

    private func counter(_ label: String, _ dimensions: [String: String]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(
            label: label, dimensions: dimensions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, factory: factory
        )
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Times every request into ``ServerMetrics`` by its route (the matched pattern, never the
/// path with an id in it).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(Self.route(context), status: Int(response.status.code), duration: .now - start)
            return response
        } catch let error as any HTTPResponseError {
            metrics.request(Self.route(context), status: Int(error.status.code), duration: .now - start)
            throw error
        } catch {
            metrics.request(Self.route(context), status: 500, duration: .now - start)
            throw error
        }
    }

    private static func route(_ context: Context) -> String {
        context.endpointPath ?? "unmatched"
    }
}

extension ISO8601DateFormatter {
    /// ISO 8601 with milliseconds, as the stores write times.
    nonisolated(unsafe) static let withFractions: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
