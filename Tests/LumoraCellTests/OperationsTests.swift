import HTTPTypes
import Testing

@Suite struct OperationsTests {
    @Test func healthReadinessMetricsAndVersion() async throws {
        try await CellHarness.run { cell in
            let health = try await cell.request(.get, "/health", store: nil)
            #expect(health.status == .ok)
            #expect(health.headers[HTTPField.Name("x-lumora-version")!]?.isEmpty == false)
            let ready = try await cell.request(.get, "/ready", store: nil)
            #expect(ready.status == .ok)
            #expect(try ready.json["stores"].int == 2)

            try await cell.request(.get, "/store/products", store: "acme")
            try await cell.request(.get, "/store/products", store: "initech")
            let metrics = try await cell.request(.get, "/metrics", store: nil).text
            #expect(metrics.contains(#"lumora_cell_requests_total{store="acme",status="2xx"}"#))
            #expect(metrics.contains(#"lumora_cell_requests_total{store="initech",status="4xx"}"#))
            #expect(metrics.contains("lumora_cell_request_duration_seconds_bucket"))

            // Errors carry the version header too.
            let missing = try await cell.request(.get, "/nothing", store: nil)
            #expect(missing.headers[HTTPField.Name("x-lumora-version")!]?.isEmpty == false)
        }
    }
}
