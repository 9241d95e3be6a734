import AsyncHTTPClient
import Foundation
import LumoraCore
import LumoraDrivers

/// After a batch: every updated cell answers `/ready`, and over the health window its share
/// of 5xx responses (from its `/metrics` request counters) stays under the threshold.
struct HealthGate: Sendable {
    let window: Duration
    let maxErrorRate: Double
    /// The cells' metrics token (`Authorization: Bearer`).
    let metricsToken: String?
    var clock: any MonotonicClock = SystemClock()

    /// nil when healthy; otherwise why not. A cell whose metrics cannot be read at the end of
    /// the window fails the gate: a gate that cannot see would pass anything.
    func check(_ cells: [RunningCell]) async -> String? {
        guard !cells.isEmpty else { return nil }
        var before: [String: RequestCounts] = [:]
        for cell in cells {
            before[cell.id] = await counts(cell.endpoint)
        }
        if window > .zero { try? await clock.sleep(for: window) }
        var problems: [String] = []
        for cell in cells {
            guard await Self.isReady(cell.endpoint) else {
                problems.append("\(cell.id) is not ready")
                continue
            }
            guard let after = await counts(cell.endpoint) else {
                problems.append("\(cell.id)'s metrics could not be read")
                continue
            }
            let delta = after - (before[cell.id].flatMap { $0 } ?? RequestCounts())
            if delta.total > 0, delta.errorRate > maxErrorRate {
                problems.append("\(cell.id) answered \(delta.errors) of \(delta.total) requests with 5xx "
                                + "(\(Self.percent(delta.errorRate)) > \(Self.percent(maxErrorRate)))")
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    static func percent(_ rate: Double) -> String {
        String(format: "%.1f%%", rate * 100)
    }

    static func isReady(_ endpoint: String) async -> Bool {
        let request = HTTPClientRequest(url: endpoint + "/ready")
        return (try? await HTTPClient.shared.execute(request, timeout: .seconds(5)).status) == .ok
    }

    func counts(_ endpoint: String) async -> RequestCounts? {
        var request = HTTPClientRequest(url: endpoint + "/metrics")
        if let metricsToken { request.headers.add(name: "Authorization", value: "Bearer \(metricsToken)") }
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 16 << 20) else { return nil }
        return RequestCounts(prometheus: String(buffer: body))
    }
}

/// Request counts by outcome, read from `lumora_cell_requests_total{…,status="2xx"} 12` lines.
struct RequestCounts: Sendable, Equatable {
    var total: Double = 0
    var errors: Double = 0

    init() {}

    init(prometheus text: String) {
        for line in text.split(separator: "\n") where line.hasPrefix("lumora_cell_requests_total{") {
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            total += value
            if line.contains(#"status="5xx""#) { errors += value }
        }
    }

    var errorRate: Double { total > 0 ? errors / total : 0 }

    static func - (lhs: RequestCounts, rhs: RequestCounts) -> RequestCounts {
        var result = RequestCounts()
        // A restarted process starts counting from zero again.
        let restarted = lhs.total < rhs.total
        result.total = restarted ? lhs.total : lhs.total - rhs.total
        result.errors = restarted ? lhs.errors : lhs.errors - rhs.errors
        return result
    }
}
