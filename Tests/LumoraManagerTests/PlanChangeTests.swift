import AsyncHTTPClient
import Foundation
import LumoraCore
import LumoraDatabase
import LumoraEdge
import LumoraTestSupport
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

@Suite struct PlanChangeTests {
    /// A store moves standard → enterprise → standard while shoppers keep browsing through the
    /// edge: the dedicated cell starts and is ready before the route moves, and is drained
    /// before it stops. Not one request fails.
    @Test func plansChangeUnderTrafficWithoutAFailedRequest() async throws {
        try await ManagerHarness.run(configure: { $0.runsSharedCell = true }) { manager in
            let created = try await manager.createStore("acme")
            let token = try #require(created["admin_token"] as? String)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)

            try await manager.withEdge { port in
                /// The status, and for a failure what it said (the error's code, or the page's start).
                let fetch: @Sendable (String) async -> (Int, String) = { path in
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
                    request.headers.replaceOrAdd(name: "Host", value: "acme.lumora.test")
                    guard let response = try? await http.execute(request, timeout: .seconds(10)) else { return (-1, "no answer") }
                    let status = Int(response.status.code)
                    guard status != 200 else { return (200, "") }
                    let body = String(buffer: (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer())
                    let code = body.firstMatch(of: /"code":"([a-z_]+)"/).map { String($0.1) } ?? String(body.prefix(200))
                    return (status, "\(path) \(code) x-lumora-version=\(response.headers.first(name: "x-lumora-cell-version") ?? "-")")
                }
                let get: @Sendable (String) async -> Int = { await fetch($0).0 }

                try await withThrowingTaskGroup(of: Void.self) { group in
                    try await waitUntil { await get("/api/store/products") == 200 }
                    var product = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/admin/products")
                    product.method = .POST
                    product.headers.replaceOrAdd(name: "Host", value: "acme.lumora.test")
                    product.headers.add(name: "Authorization", value: "Bearer \(token)")
                    product.headers.add(name: "Content-Type", value: "application/json")
                    product.body = .bytes(ByteBuffer(string: #"{"title":"Anvil","handle":"anvil","status":"published","variants":[{"title":"One","price":{"amount":100,"currency":"USD"},"stocked":5}]}"#))
                    #expect(try await http.execute(product, timeout: .seconds(10)).status == .created)

                    let outcomes = Outcomes()
                    let shoppers = Task {
                        await withTaskGroup(of: Void.self) { shoppers in
                            for path in ["/api/store/products", "/products/anvil", "/api/store/settings"] {
                                shoppers.addTask {
                                    while !Task.isCancelled {
                                        let (status, said) = await fetch(path)
                                        if Task.isCancelled { break }  // a request cut short by the end of the test
                                        outcomes.state.withLock { status == 200 ? ($0.ok += 1) : $0.failed.append("\(status) \(said)") }
                                    }
                                }
                            }
                        }
                    }

                    let beforeSwitches = outcomes.state.withLock { $0.ok }
                    for plan in ["enterprise", "standard"] {
                        let reply = try await manager.request(.post, "/v1/stores/acme/plan", json: #"{"plan":"\#(plan)"}"#)
                        #expect(reply.status == .accepted, "\(String(buffer: reply.body))")
                        let job = try #require((try reply.object()["job"] as? [String: Any])?["id"] as? Int)
                        try await manager.waitForJob(job)
                        let store = try await manager.request(.get, "/v1/stores/acme").object()["store"] as? [String: Any]
                        #expect(store?["plan"] as? String == plan)
                        #expect(store?["cell_id"] as? String == (plan == "enterprise" ? "store-acme" : "shared"))
                        let cells = try await manager.request(.get, "/v1/cells").object()["cells"] as? [[String: Any]] ?? []
                        #expect(cells.contains { $0["id"] as? String == "store-acme" } == (plan == "enterprise"))
                    }
                    // Shoppers were served while the plan changed, and after the last switch too.
                    let before = outcomes.state.withLock { $0.ok }
                    #expect(before > beforeSwitches)
                    try await waitUntil { outcomes.state.withLock { $0.ok } > before + 50 }
                    shoppers.cancel()
                    await shoppers.value
                    let failed = outcomes.state.withLock { $0.failed }
                    #expect(failed.isEmpty, "failed requests: \(failed.prefix(20))")
                    #expect(try #require(manager.runtime).supervised["store-acme"] == nil)
                    group.cancelAll()
                }
            }
            try await http.shutdown()
        }
    }
}

final class Outcomes: Sendable {
    let state = Mutex<(ok: Int, failed: [String])>((0, []))
}
