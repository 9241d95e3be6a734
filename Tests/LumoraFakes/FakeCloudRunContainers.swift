import Foundation

/// Simulated containers, so health checks and canary probes are real HTTP:
/// `/run/<service>/…` reaches the revision with the largest traffic share,
/// `/run/<service>/tag/<tag>/…` the tagged one.
extension CloudRunState {
    mutating func handleContainer(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        let s = request.segments
        guard s.count >= 2, let service = services[s[1]], !service.deleting else {
            return .text(404, "Error: Page not found. The requested URL was not found on this server.")
        }
        var rest = Array(s.dropFirst(2))
        let revisionName: String?
        if rest.count >= 2, rest[0] == "tag" {
            let tag = rest[1]
            rest.removeFirst(2)
            guard let target = service.trafficStatuses.first(where: { $0.tag == tag }) else {
                return .text(404, "Error: no traffic target is tagged \(tag).")
            }
            revisionName = service.resolve(target)
        } else {
            // The first target with the largest share (ties are rare in tests and resolve
            // to the earlier one).
            let serving = service.trafficStatuses.filter { $0.percent > 0 }.max { $0.percent < $1.percent }
            revisionName = serving.flatMap(service.resolve)
        }
        guard let revisionName, let index = service.revisionIndex(revisionName), service.revisions[index].phase == .ready else {
            return .text(503, "Service Unavailable: no ready revision serves this URL.")
        }
        let revision = service.revisions[index]
        let unhealthy = isUnhealthy(revision)
        let version = revision.env.first { $0.name == "LUMORA_VERSION" }?.plainValue ?? "unknown"
        var response: FakeHTTPResponse
        switch rest {
        case ["ready"]:
            response = unhealthy
                ? .json(503, ["status": "unavailable", "version": .string(version), "revision": .string(revision.name)])
                : .json(200, ["status": "ready", "version": .string(version), "revision": .string(revision.name)])
        case ["health"] where !unhealthy:
            response = .json(200, ["status": "ok", "version": .string(version)])
        case ["metrics"] where !unhealthy:
            response = .text(200, metrics(revision), contentType: "text/plain; version=0.0.4")
        default:
            response = unhealthy
                ? .json(500, ["error": ["code": "internal", "message": .string("simulated crash of \(revision.name)")]])
                : .json(200, ["service": .string(service.id), "revision": .string(revision.name), "path": .string("/" + rest.joined(separator: "/"))])
        }
        // Like the cell: every request is counted by store (`x-store-id`, else "-") and
        // status class, and every answer carries the version header.
        let store = request.header("x-store-id") ?? "-"
        services[service.id]?.revisions[index].requests["\(store)|\(response.status / 100)xx", default: 0] += 1
        response.headers.append(("x-lumora-version", version))
        return response
    }

    /// Prometheus text like the cell's own: requests by store and status class.
    func metrics(_ revision: Revision) -> String {
        var lines = [
            "# HELP lumora_cell_requests_total Requests by store and status class",
            "# TYPE lumora_cell_requests_total counter",
        ]
        for (key, count) in revision.requests.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            lines.append("lumora_cell_requests_total{store=\"\(parts[0])\",status=\"\(parts[1])\"} \(count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
