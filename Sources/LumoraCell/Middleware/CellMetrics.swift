import Foundation
import LumoraCore
import Prometheus
import Synchronization

/// Per-store request counts and latencies, and cache and limiter outcomes, in a Prometheus
/// registry of the cell's own (no process-global metrics system, so tests can build many
/// cells in one process).
final class CellMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let counters = Mutex<[String: Counter]>([:])
    private let histograms = Mutex<[String: DurationHistogram]>([:])
    /// Every request records these: found without building a key string.
    private struct RequestSeries: Hashable {
        let store: String
        let statusClass: Int
    }
    private let requestCounters = Mutex<[RequestSeries: Counter]>([:])

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
        let series = RequestSeries(store: store, statusClass: status / 100)
        let counter = requestCounters.withLock { $0[series] } ?? {
            let made = registry.makeCounter(descriptor: Self.requests, labels: [("store", store), ("status", "\(series.statusClass)xx")])
            requestCounters.withLock { $0[series] = made }
            return made
        }()
        counter.increment()
        durationHistogram(store: store).recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    static var pluginCalls: MetricNameDescriptor { MetricNameDescriptor(namespace: "lumora", subsystem: "cell", metricName: "plugin_calls", unitName: "total",
                                                  helpText: "Plugin calls by extension point and outcome (ok, or why the answer was not used)") }
    static var pluginFuel: MetricNameDescriptor { MetricNameDescriptor(namespace: "lumora", subsystem: "cell", metricName: "plugin_fuel", unitName: "total",
                                                 helpText: "Fuel (WebAssembly operators, roughly) spent by plugin calls, by extension point") }

    /// One plugin call: `outcome` is `ok` or the failure's code; per point, not per store, so
    /// a platform of many stores keeps few series (the logs name the store and the plugin).
    func recordPlugin(point: ExtensionPoint, outcome: String, fuel: UInt64) {
        counter(Self.pluginCalls, labels: [("point", point.rawValue), ("outcome", outcome)]).increment()
        if fuel > 0 { counter(Self.pluginFuel, labels: [("point", point.rawValue)]).increment(by: Int64(clamping: fuel)) }
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

    /// The store's request-duration histogram (the descriptor is made only for a new one).
    private func durationHistogram(store: String) -> DurationHistogram {
        let key = store
        if let existing = histograms.withLock({ $0[key] }) { return existing }
        let made = registry.makeDurationHistogram(descriptor: Self.duration, labels: [("store", store)], buckets: Self.buckets)
        histograms.withLock { $0[key] = made }
        return made
    }
}
