import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import LumoraCore
import LumoraEdge
import LumoraTestSupport
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import Testing
import WAT

/// Installing a store's plugins through the operator API, and the installed plugin at work in
/// the store's own `lumora cell` process, reached through the edge like any shopper.
@Suite struct PluginInstallTests {
    @Test func installsAreCheckedVersionedAndManaged() async throws {
        try await ManagerHarness.run { manager in
            try await manager.createStore("vip", plan: "enterprise")
            try await manager.createStore("corner")
            let tenPercent = try ExamplePlugins.wasm(ExamplePlugins.tenPercentOver100)
            let maxTwo = try ExamplePlugins.wasm(ExamplePlugins.maxTwoPerOrder)

            let installed = try await Self.install(manager, "vip", "point=cart.discounts&name=ten-percent", tenPercent)
            #expect(installed.status == .created, "\(String(buffer: installed.body))")
            let plugin = try #require(try installed.object()["plugin"] as? [String: Any])
            #expect(plugin["version"] as? Int == 1 && plugin["api_version"] as? Int == 1 && plugin["enabled"] as? Bool == true)
            #expect(plugin["sha256"] as? String == SHA256.hash(data: tenPercent).map { String(format: "%02x", $0) }.joined())
            #expect(plugin["bytes"] as? Int == tenPercent.count)
            #expect(plugin["runs_on_shared_cells"] as? Bool == false && plugin["on_failure"] as? String == "skip")

            // The same module again changes nothing; another one under the name is version 2.
            let same = try await Self.install(manager, "vip", "point=cart.discounts&name=ten-percent", tenPercent)
            let sameVersion = (try same.object()["plugin"] as? [String: Any])?["version"] as? Int
            #expect(same.status == .ok && sameVersion == 1)
            let replaced = try await Self.install(manager, "vip", "point=checkout.validate&name=ten-percent&on_failure=block", maxTwo)
            #expect(replaced.status == .ok)
            let second = try #require(try replaced.object()["plugin"] as? [String: Any])
            #expect(second["version"] as? Int == 2 && second["point"] as? String == "checkout.validate" && second["on_failure"] as? String == "block")

            // Refused, and nothing written: what is not a plugin, and what asks for more than WebAssembly.
            let refusals: [(query: String, body: [UInt8], status: HTTPResponse.Status, code: String)] = [
                ("point=cart.discounts&name=page", Array("<html></html>".utf8), .unprocessableContent, "plugin_not_webassembly"),
                ("point=cart.discounts&name=wasi", try Self.wasiModule(), .unprocessableContent, "plugin_forbidden_import"),
                ("point=cart.discounts&name=empty", [], .unprocessableContent, "plugin_empty"),
                ("point=cart.everything&name=x", tenPercent, .badRequest, "invalid_extension_point"),
                ("point=cart.discounts&name=x&api_version=2", tenPercent, .badRequest, "unsupported_api_version"),
                ("point=cart.discounts&name=Not%20A%20Name", tenPercent, .badRequest, "invalid_plugin_name"),
                ("point=cart.discounts&name=x&on_failure=block", tenPercent, .badRequest, "invalid_on_failure"),
                ("name=x", tenPercent, .badRequest, "invalid_plugin"),
            ]
            for refusal in refusals {
                let response = try await Self.install(manager, "vip", refusal.query, refusal.body)
                #expect(response.status == refusal.status && response.errorCode == refusal.code, "\(refusal.query): \(String(buffer: response.body))")
            }
            let oversize = try await Self.install(manager, "vip", "point=cart.discounts&name=big", [UInt8](repeating: 0, count: (4 << 20) + 1))
            #expect(oversize.status == .contentTooLarge && oversize.errorCode == "plugin_too_large")
            #expect(try await manager.count("SELECT count(*) FROM lumora.plugins") == 1)

            // A standard store shares a cell: only when the operator allows it.
            let shared = try await Self.install(manager, "corner", "point=cart.discounts&name=ten-percent", tenPercent)
            #expect(shared.status == .forbidden && shared.errorCode == "plugins_need_dedicated_cell")
            let allowed = try await Self.install(manager, "corner", "point=cart.discounts&name=ten-percent&allow_shared_cell=true", tenPercent)
            let allowedShared = (try allowed.object()["plugin"] as? [String: Any])?["runs_on_shared_cells"] as? Bool
            #expect(allowed.status == .created && allowedShared == true)
            #expect(try await Self.install(manager, "nobody", "point=cart.discounts&name=x", tenPercent).errorCode == "store_not_found")
            let anonymous = try await manager.http.execute(uri: "/v1/stores/vip/plugins?point=cart.discounts&name=x", method: .post,
                                                          headers: [:], body: ByteBuffer(bytes: tenPercent))
            #expect(anonymous.status == .unauthorized)

            // Listed, disabled, enabled, removed.
            let listed = try await manager.request(.get, "/v1/stores/vip/plugins").object()["plugins"] as? [[String: Any]] ?? []
            #expect(listed.map { $0["name"] as? String } == ["ten-percent"])
            let disabled = try await manager.request(.post, "/v1/stores/vip/plugins/ten-percent/disable").object()["plugin"] as? [String: Any]
            #expect(disabled?["enabled"] as? Bool == false)
            let enabled = try await manager.request(.post, "/v1/stores/vip/plugins/ten-percent/enable").object()["plugin"] as? [String: Any]
            #expect(enabled?["enabled"] as? Bool == true)
            #expect(try await manager.request(.delete, "/v1/stores/vip/plugins/ten-percent").status == .ok)
            let gone = try await manager.request(.get, "/v1/stores/vip/plugins/ten-percent")
            #expect(gone.status == .notFound && gone.errorCode == "plugin_not_found")
            #expect(try await manager.request(.post, "/v1/stores/vip/plugins/ten-percent/disable").errorCode == "plugin_not_found")
        }
    }

    /// The store's own cell (a real `lumora cell --store vip` process) runs what the manager
    /// installed, at the shopper's cart and checkout through the edge, and stops when told.
    @Test func theStoresOwnCellRunsItsPluginsForShoppersAtTheEdge() async throws {
        try await ManagerHarness.run(configure: { $0.runsSharedCell = true }) { manager in
            let created = try await manager.createStore("vip", plan: "enterprise")
            try await manager.createStore("corner")
            let token = try #require(created["admin_token"] as? String)
            try await manager.withEdge { port in
                let http = HTTPClient(eventLoopGroupProvider: .singleton)
                do {
                    let shopper = Shopper(http: http, port: port, host: "vip.lumora.test")
                    try await waitUntil { try await shopper.send(.GET, "/api/store/products").status == 200 }
                    let product = try await shopper.send(.POST, "/api/admin/products", token: token, json: #"""
                        {"title":"Anvil","handle":"anvil","status":"published","variants":[{"title":"One","price":{"amount":6000,"currency":"USD"},"stocked":9}]}
                        """#)
                    #expect(product.status == 201, "\(product.text)")
                    let variant = try #require(((product.json["product"] as? [String: Any])?["variants"] as? [[String: Any]])?.first?["id"] as? String)

                    #expect(try await Self.install(manager, "vip", "point=cart.discounts&name=ten-percent",
                                                   try ExamplePlugins.wasm(ExamplePlugins.tenPercentOver100)).status == .created)
                    #expect(try await Self.install(manager, "vip", "point=checkout.validate&name=max-two",
                                                   try ExamplePlugins.wasm(ExamplePlugins.maxTwoPerOrder)).status == .created)
                    #expect(try await Self.install(manager, "vip", "point=order.created&name=notify", try wat2wasm("""
                        (module (import "lumora" "log" (func $log (param i32 i32)))
                          (memory (export "memory") 1) (data (i32.const 16) "order seen")
                          (func (export "alloc") (param i32) (result i32) (i32.const 1024))
                          (func (export "run") (param i32 i32) (result i64) (call $log (i32.const 16) (i32.const 10)) (i64.const 0)))
                        """)).status == .created)
                    #expect(try await Self.install(manager, "vip", "point=order.created&name=broken-notify", try wat2wasm("""
                        (module (memory (export "memory") 1)
                          (func (export "alloc") (param i32) (result i32) (i32.const 1024))
                          (func (export "run") (param i32 i32) (result i64) unreachable))
                        """)).status == .created)

                    let cartID = try #require((try await shopper.send(.POST, "/api/store/carts").json["cart"] as? [String: Any])?["id"] as? String)
                    let cart = try await shopper.send(.POST, "/api/store/carts/\(cartID)/line-items", json: #"{"variant_id":"\#(variant)","quantity":3}"#)
                    let cartBody = try #require(cart.json["cart"] as? [String: Any])
                    #expect(Self.amount(cartBody["discount_total"]) == 1_800)
                    #expect(Self.amount(cartBody["total"]) == 16_200)

                    let checkout = #"{"email":"ada@example.com","shipping_address":{"first_name":"Ada","last_name":"Lovelace","address_1":"12 Analytical St","city":"London","postal_code":"N1 9GU","country_code":"GB"}}"#
                    let refused = try await shopper.send(.POST, "/api/store/carts/\(cartID)/complete", json: checkout)
                    #expect(refused.status == 422 && refused.text.contains("At most 2 of Anvil / One per order"), "\(refused.text)")

                    // The operator turns the validator off; the store's cell hears of it and lets the order through.
                    #expect(try await manager.request(.post, "/v1/stores/vip/plugins/max-two/disable").status == .ok)
                    try await waitUntil { try await shopper.send(.POST, "/api/store/carts/\(cartID)/complete", json: checkout).status == 201 }
                    let order = try #require(try await shopper.send(.GET, "/api/store/carts/\(cartID)/order").json["order"] as? [String: Any])
                    #expect(Self.amount(order["discount_total"]) == 1_800 && Self.amount(order["total"]) == 16_200)

                    // The order's order.created plugins ran once each, after the checkout, through a
                    // durable job; the one that traps is passed over and the job still succeeds.
                    var notification: [String: Any] = [:]
                    try await waitUntil {
                        let jobs = try await manager.request(.get, "/v1/jobs?store=vip").object()["jobs"] as? [[String: Any]] ?? []
                        notification = jobs.first { $0["kind"] as? String == "plugin_order_created" } ?? [:]
                        return notification["state"] as? String == "succeeded"
                    }
                    #expect(Set(notification["steps_done"] as? [String] ?? []) == ["notify v1", "broken-notify v1"])

                    // The neighbour on the shared cell never runs vip's plugins.
                    let corner = Shopper(http: http, port: shopper.port, host: "corner.lumora.test")
                    try await waitUntil { try await corner.send(.GET, "/api/store/products").status == 200 }
                    let cornerCart = try await corner.send(.POST, "/api/store/carts").json["cart"] as? [String: Any]
                    #expect(Self.amount(cornerCart?["discount_total"]) == 0)
                } catch {
                    try? await http.shutdown()
                    throw error
                }
                try await http.shutdown()
            }
        }
    }

    // MARK: Helpers

    static func install(_ manager: ManagerHarness, _ store: String, _ query: String, _ module: [UInt8]) async throws -> TestResponse {
        try await manager.http.execute(uri: "/v1/stores/\(store)/plugins?\(query)", method: .post,
                                       headers: [.authorization: "Bearer \(ManagerHarness.operatorToken)", .contentType: "application/wasm"],
                                       body: ByteBuffer(bytes: module))
    }

    /// A module asking for WASI's fd_write: refused however well it is built otherwise.
    static func wasiModule() throws -> [UInt8] {
        try wat2wasm("""
            (module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
            """)
    }

    static func amount(_ money: Any?) -> Int? { (money as? [String: Any])?["amount"] as? Int }
}

/// A shopper's (or merchant's) HTTP client aimed at one store's host on the edge.
struct Shopper: Sendable {
    let http: HTTPClient
    let port: Int
    let host: String

    struct Answer {
        let status: Int
        let text: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
    }

    func send(_ method: NIOHTTP1.HTTPMethod, _ path: String, token: String? = nil, json: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.replaceOrAdd(name: "Host", value: host)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        return Answer(status: Int(response.status.code), text: String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}
