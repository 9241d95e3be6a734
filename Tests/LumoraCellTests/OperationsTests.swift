import HTTPTypes
import LumoraHTTP
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
            let token = MetricsToken.derived(fromSigningSecret: CellHarness.secret)
            let metrics = try await cell.request(.get, "/metrics", store: nil, headers: [("authorization", "Bearer \(token)")]).text
            #expect(metrics.contains(#"lumora_cell_requests_total{store="acme",status="2xx"}"#))
            #expect(metrics.contains("lumora_cell_request_duration_seconds_bucket"))
            // A store the cell does not know is not a label of its own.
            #expect(!metrics.contains("initech"))
            #expect(metrics.contains(#"lumora_cell_requests_total{store="-",status="4xx"}"#))

            // Nobody else reads them: they name every store the cell serves.
            for authorization in [nil, "Bearer wrong", "Bearer \(token)x"] {
                let refused = try await cell.request(.get, "/metrics", store: nil, headers: authorization.map { [("authorization", $0)] } ?? [])
                #expect(refused.status == .unauthorized && !refused.text.contains("acme"))
            }

            // Errors carry the version header too.
            let missing = try await cell.request(.get, "/nothing", store: nil)
            #expect(missing.headers[HTTPField.Name("x-lumora-version")!]?.isEmpty == false)
        }
    }
}

@Suite struct MetricsCardinalityTests {
    /// Unsigned requests naming made-up stores do not grow the metrics.
    @Test func madeUpStoreNamesDoNotMintSeries() async throws {
        try await CellHarness.run { cell in
            let token = MetricsToken.derived(fromSigningSecret: CellHarness.secret)
            /// The distinct label sets of the request counter.
            func series() async throws -> Set<String> {
                let text = try await cell.request(.get, "/metrics", store: nil, headers: [("authorization", "Bearer \(token)")]).text
                return Set(text.split(separator: "\n").filter { $0.hasPrefix("lumora_cell_requests_total{") }.map { String($0.split(separator: " ")[0]) })
            }
            _ = try await cell.request(.get, "/store/products", store: "bogus-0", headers: [("x-store-id", "bogus-0")], signed: false)
            _ = try await series()  // reading the metrics is a request too (store "-", 2xx)
            let before = try await series()
            for index in 1...200 {
                _ = try await cell.request(.get, "/store/products", store: "bogus-\(index)", headers: [("x-store-id", "bogus-\(index)")], signed: false)
            }
            #expect(try await series() == before)
            #expect(before.count == 2)
        }
    }
}
