import Foundation
import Prometheus
import Synchronization

/// Per-store request counts and latencies, and cache and limiter outcomes, in a Prometheus
/// registry of the cell's own (no process-global metrics system, so tests can build many
/// cells in one process).
final class CellMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let counters = Mutex<[String: Counter]>([:])
    private let histograms = Mutex<[String: DurationHistogram]>([:])

    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    static var requests: MetricNameDescriptor { MetricNameDescriptor(namespace: "lumora", subsystem: "cell", metricName: "requests", unitName: "total",
                                               helpText: "Requests by store and status class") }
    static var duration: MetricNameDescriptor { MetricNameDescriptor(namespace: "lumora", subsystem: "cell", metricName: "request_duration", unitName: "seconds",
                                               helpText: "Request latency by store") }
    static var cache: MetricNameDescriptor { MetricNameDescriptor(namespace: "lumora", subsystem: "cell", metricName: "cache", unitName: "total",
                                            helpText: "Storefront response cache lookups") }

    func recordRequest(store: String, status: Int, duration: Duration) {
        counter(Self.requests, labels: [("store", store), ("status", "\(status / 100)xx")]).increment()
        histogram(Self.duration, store: store).recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    func recordCache(hit: Bool) {
        counter(Self.cache, labels: [("result", hit ? "hit" : "miss")]).increment()
    }

    func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    private func counter(_ descriptor: MetricNameDescriptor, labels: [(String, String)]) -> Counter {
        let key = descriptor.name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        if let existing = counters.withLock({ $0[key] }) { return existing }
        let made = registry.makeCounter(descriptor: descriptor, labels: labels)
        counters.withLock { $0[key] = made }
        return made
    }

    private func histogram(_ descriptor: MetricNameDescriptor, store: String) -> DurationHistogram {
        let key = descriptor.name + "|" + store
        if let existing = histograms.withLock({ $0[key] }) { return existing }
        let made = registry.makeDurationHistogram(descriptor: descriptor, labels: [("store", store)], buckets: Self.buckets)
        histograms.withLock { $0[key] = made }
        return made
    }
}
