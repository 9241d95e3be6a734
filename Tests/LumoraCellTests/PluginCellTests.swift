import Foundation
import HTTPTypes
import LumoraCell
import LumoraCore
import LumoraHTTP
import LumoraTestSupport
import NIOCore
import PostgresNIO
import Testing
import WAT

/// A store's plugins at its checkout, on a cell over a real database. The rows are written as
/// the manager writes them (its API and its checks are driven in the manager's tests); the cell
/// reads, compiles and runs them. The cell's clock stands still: no call is judged by how fast
/// this machine interprets WebAssembly (PluginSandboxTests move time for the deadline).
@Suite struct PluginCellTests {
    static func dedicatedAcme(_ slugs: [String: StoreSlug]) -> CellConfiguration.Mode { .dedicated(slugs["acme"]!) }

    @Test func discountsComeOffTheCartTheTaxAndTheOrder() async throws {
        try await CellHarness.run(stores: ["acme"], mode: Self.dedicatedAcme, clock: ManualClock()) { cell in
            try await Self.install(cell, store: "acme", name: "ten-percent", point: "cart.discounts",
                                   module: ExamplePlugins.wasm(ExamplePlugins.tenPercentOver100))
            let product = try await cell.createProduct("acme", handle: "anvil", variants: [("Default", 6000, 10)])
            let variant = try #require(product["variants"][0]["id"].string)
            let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)

            var cart = try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme",
                                              json: #"{"variant_id":"\#(variant)","quantity":1}"#).json["cart"]
            #expect(cart["discount_total"]["amount"].int == 0, "60.00 is under the plugin's 100.00")
            #expect(cart["discounts"].array.isEmpty)

            cart = try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme",
                                          json: #"{"variant_id":"\#(variant)","quantity":1}"#).json["cart"]
            #expect(cart["subtotal"]["amount"].int == 12_000)
            #expect(cart["discount_total"]["amount"].int == 1_200)
            #expect(cart["discounts"][0]["title"].string == "10% off orders over 100")
            #expect(cart["discounts"][0]["amount"]["amount"].int == 1_200)
            #expect(cart["total"]["amount"].int == 10_800)

            let completed = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: CheckoutTests.complete())
            #expect(completed.status == .created, "\(completed.text)")
            let order = try completed.json["order"]
            #expect(order["subtotal"]["amount"].int == 12_000)
            #expect(order["discount_total"]["amount"].int == 1_200)
            #expect(order["discounts"][0]["title"].string == "10% off orders over 100")
            #expect(order["items"][0]["discount"]["amount"].int == 1_200)
            #expect(order["total"]["amount"].int == 10_800)

            // The order keeps what it was sold for after the plugin is gone.
            try await Self.execute(cell, "DELETE FROM lumora.plugins")
            let again = try await cell.request(.get, "/store/carts/\(cartID)/order", store: "acme").json["order"]
            #expect(again["discount_total"]["amount"].int == 1_200 && again["total"]["amount"].int == 10_800)
        }
    }

    @Test func aValidatorRefusesCheckoutWithItsMessageAndReservesNothing() async throws {
        try await CellHarness.run(stores: ["acme"], mode: Self.dedicatedAcme, clock: ManualClock()) { cell in
            try await Self.install(cell, store: "acme", name: "max-two", point: "checkout.validate",
                                   module: ExamplePlugins.wasm(ExamplePlugins.maxTwoPerOrder))
            let product = try await cell.createProduct("acme", handle: "anvil", variants: [("Default", 500, 10)])
            let variant = try #require(product["variants"][0]["id"].string)
            let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)
            let cart = try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme",
                                              json: #"{"variant_id":"\#(variant)","quantity":3}"#).json["cart"]

            let refused = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: CheckoutTests.complete())
            #expect(refused.status == .unprocessableContent)
            #expect(refused.errorCode == "checkout_refused")
            #expect(try refused.json["error"]["message"].string == "At most 2 of Anvil per order")
            #expect(try await Self.count(cell, "SELECT count(*) FROM store_acme.orders") == 0)
            #expect(try await Self.count(cell, "SELECT reserved FROM store_acme.inventory") == 0)

            let line = try #require(cart["items"][0]["id"].string)
            try await cell.request(.post, "/store/carts/\(cartID)/line-items/\(line)", store: "acme", json: #"{"quantity":2}"#)
            let completed = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: CheckoutTests.complete())
            #expect(completed.status == .created, "\(completed.text)")
        }
    }

    @Test func brokenPluginsAreSkippedLoggedAndCountedAndCheckoutGoesOn() async throws {
        // A million operators a call: a debug build spends a fraction of a second per spin.
        try await CellHarness.run(stores: ["acme"], mode: Self.dedicatedAcme, clock: ManualClock(), pluginFuel: 1_000_000) { cell in
            // Installed before the good one: each failure is passed over, the good one still counts.
            try await Self.install(cell, store: "acme", name: "traps", point: "cart.discounts", module: Self.module(run: "unreachable"))
            try await Self.install(cell, store: "acme", name: "garbage", point: "cart.discounts", module: Self.answering("not json"))
            try await Self.install(cell, store: "acme", name: "too-generous", point: "cart.discounts",
                                   module: Self.answering(#"{"discounts":[{"title":"Free","percentage":150}]}"#))
            try await Self.install(cell, store: "acme", name: "outside", point: "cart.discounts", module: Self.module(run: "(i64.const 0x7fff000000000010)"))
            try await Self.install(cell, store: "acme", name: "spins", point: "cart.discounts", module: Self.module(run: "(loop $forever (br $forever)) (i64.const 0)"))
            try await Self.install(cell, store: "acme", name: "hoards", point: "cart.discounts", module: Self.module(run: """
                (loop $more (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable
                """))
            try await Self.install(cell, store: "acme", name: "ten-percent", point: "cart.discounts",
                                   module: ExamplePlugins.wasm(ExamplePlugins.tenPercentOver100))
            // A blocking validator that cannot answer refuses checkout; a skipping one does not.
            try await Self.install(cell, store: "acme", name: "flaky-check", point: "checkout.validate", module: Self.module(run: "unreachable"))

            let product = try await cell.createProduct("acme", handle: "anvil", variants: [("Default", 12_000, 10)])
            let variant = try #require(product["variants"][0]["id"].string)
            let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)
            let cart = try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme",
                                              json: #"{"variant_id":"\#(variant)","quantity":1}"#).json["cart"]
            #expect(cart["discounts"].array.count == 1)
            #expect(cart["discount_total"]["amount"].int == 1_200)

            let completed = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: CheckoutTests.complete())
            #expect(completed.status == .created, "\(completed.text)")
            #expect(try completed.json["order"]["total"]["amount"].int == 10_800)

            let metrics = try await Self.metrics(cell)
            for outcome in ["trapped", "invalid_output", "output_out_of_bounds", "out_of_fuel", "memory_limit", "ok"] {
                #expect(metrics.contains(#"lumora_cell_plugin_calls_total{point="cart.discounts",outcome="\#(outcome)"}"#), "\(outcome)")
            }
            #expect(metrics.contains(#"lumora_cell_plugin_calls_total{point="checkout.validate",outcome="trapped"} 1"#))
        }
    }

    @Test func aBlockingValidatorThatFailsRefusesCheckout() async throws {
        try await CellHarness.run(stores: ["acme"], mode: Self.dedicatedAcme, clock: ManualClock()) { cell in
            try await Self.install(cell, store: "acme", name: "strict", point: "checkout.validate", module: Self.module(run: "unreachable"),
                                   onFailure: "block")
            let product = try await cell.createProduct("acme", handle: "anvil", variants: [("Default", 500, 10)])
            let variant = try #require(product["variants"][0]["id"].string)
            let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)
            try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(variant)","quantity":1}"#)
            let refused = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: CheckoutTests.complete())
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.errorCode == "checkout_check_failed")
            #expect(try await Self.count(cell, "SELECT count(*) FROM store_acme.orders") == 0)
        }
    }

    @Test func aShippingPluginHidesRenamesAndRepricesRates() async throws {
        try await CellHarness.run(stores: ["acme"], mode: Self.dedicatedAcme, clock: ManualClock()) { cell in
            try await PaymentCheckoutTests.setUpShipping(cell)
            try await Self.install(cell, store: "acme", name: "free-shipping", point: "shipping.rates",
                                   module: ExamplePlugins.wasm(ExamplePlugins.freeShippingOver100))
            let options = { (cartID: String) async throws -> [(name: String, amount: Int)] in
                try await cell.request(.post, "/store/carts/\(cartID)", store: "acme",
                                       json: #"{"email":"ada@example.com","shipping_address":\#(PaymentCheckoutTests.address(country: "US"))}"#)
                return try await cell.request(.get, "/store/carts/\(cartID)/shipping-options", store: "acme").json["shipping_options"].array
                    .map { ($0["name"].string ?? "", $0["amount"]["amount"].int ?? -1) }
            }
            // 3 × 19.99 at 1.2 kg: Standard (5.00) and Heavy parcel (15.00) fit; the plugin hides the dear one.
            let small = try await PaymentCheckoutTests.cart(cell, quantity: 3)
            #expect(try await options(small).map(\.name) == ["Standard"])
            // 6 × 19.99: over 100.00, every rate is free and says so.
            let large = try await PaymentCheckoutTests.cart(cell, quantity: 6)
            let offered = try await options(large)
            #expect(offered.map(\.name) == ["Standard (free over 100)", "Heavy parcel (free over 100)"])
            #expect(offered.map(\.amount) == [0, 0])

            // Chosen and ordered at the plugin's price and name.
            let rates = try await cell.request(.get, "/store/carts/\(large)/shipping-options", store: "acme").json["shipping_options"].array
            let heavy = try #require(rates.first { $0["name"].string == "Heavy parcel (free over 100)" }?["id"].string)
            let chosen = try await cell.request(.post, "/store/carts/\(large)/shipping-method", store: "acme", json: #"{"option_id":"\#(heavy)"}"#)
            #expect(chosen.status == .ok, "\(chosen.text)")
            let order = try await cell.request(.post, "/store/carts/\(large)/complete", store: "acme", json: "{}")
            #expect(order.status == .created, "\(order.text)")
            #expect(try order.json["order"]["shipping_total"]["amount"].int == 0)
            #expect(try order.json["order"]["shipping_method"].string == "Heavy parcel (free over 100)")
        }
    }

    @Test func aShippingPluginAddsARateTheShopperCanChoose() async throws {
        try await CellHarness.run(stores: ["acme"], mode: Self.dedicatedAcme, clock: ManualClock()) { cell in
            try await PaymentCheckoutTests.setUpShipping(cell)
            try await Self.install(cell, store: "acme", name: "pickup", point: "shipping.rates",
                                   module: Self.answering(#"{"rates":[{"code":"pickup","name":"Pick up in store","amount":0}]}"#))
            let cartID = try await PaymentCheckoutTests.cart(cell)
            try await cell.request(.post, "/store/carts/\(cartID)", store: "acme",
                                   json: #"{"email":"ada@example.com","shipping_address":\#(PaymentCheckoutTests.address(country: "US"))}"#)
            let options = try await cell.request(.get, "/store/carts/\(cartID)/shipping-options", store: "acme").json["shipping_options"].array
            #expect(options.map { $0["id"].string } == ["shipx_pickup"])
            #expect(options.map { $0["name"].string } == ["Pick up in store"])
            let chosen = try await cell.request(.post, "/store/carts/\(cartID)/shipping-method", store: "acme", json: #"{"option_id":"shipx_pickup"}"#)
            #expect(chosen.status == .ok, "\(chosen.text)")
            #expect(try chosen.json["cart"]["shipping_option"]["id"].string == "shipx_pickup")
            #expect(try await cell.request(.post, "/store/carts/\(cartID)/shipping-method", store: "acme",
                                           json: #"{"option_id":"shipx_Not A Code"}"#).status == .notFound)
            let order = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: "{}")
            #expect(order.status == .created, "\(order.text)")
            #expect(try order.json["order"]["shipping_method"].string == "Pick up in store")
            #expect(try order.json["order"]["shipping_total"]["amount"].int == 0)
        }
    }

    @Test func stripeChargesTheDiscountedTotal() async throws {
        try await StripeCell.run(clock: ManualClock()) { stripe in
            try await Self.install(stripe.cell, store: "acme", name: "welcome", point: "cart.discounts",
                                   module: Self.answering(#"{"discounts":[{"title":"Welcome","amount":500}]}"#), sharedCells: true)
            let placed = try await stripe.complete(try await stripe.cart())
            #expect(placed.status == .created, "\(placed.text)")
            let order = try placed.json["order"]
            // 2 × 19.99 − 5.00, then the Light parcel, then 8.875 % NY tax on what is paid for.
            #expect(order["discount_total"]["amount"].int == 500)
            #expect(order["tax_total"]["amount"].int == 310 + 27)
            #expect(order["total"]["amount"].int == 3498 + 300 + 337)
            let request = try #require(stripe.fake.requests().last { $0.method == "POST" && $0.path == "/v1/checkout/sessions" })
            #expect(request.form["line_items[0][price_data][unit_amount]"] == "3498")
            #expect(request.form["line_items[0][quantity]"] == "1")
            var charged = 0
            for index in 0..<3 {
                charged += (Int(request.form["line_items[\(index)][price_data][unit_amount]"] ?? "") ?? 0)
                    * (Int(request.form["line_items[\(index)][quantity]"] ?? "") ?? 0)
            }
            #expect(charged == order["total"]["amount"].int)
        }
    }

    /// A shared cell runs a store's plugin only where the operator allowed it, and never for
    /// another store; a change reaches the cell by notification, without a restart.
    @Test func aSharedCellRunsOnlyAllowedPluginsOfTheirOwnStore() async throws {
        try await CellHarness.run(stores: ["acme", "globex"], clock: ManualClock()) { cell in
            let tenPercent = try ExamplePlugins.wasm(ExamplePlugins.tenPercentOver100)
            try await Self.install(cell, store: "acme", name: "ten-percent", point: "cart.discounts", module: tenPercent, sharedCells: false)
            try await Self.install(cell, store: "globex", name: "ten-percent", point: "cart.discounts", module: tenPercent, sharedCells: true)
            let acme = try await Self.cartTotal(cell, store: "acme")
            #expect(acme.discount == 0, "acme's plugin was not allowed on a shared cell")
            let globex = try await Self.cartTotal(cell, store: "globex")
            #expect(globex.discount == 1_200)

            try await Self.execute(cell, "UPDATE lumora.plugins SET runs_on_shared_cells = true WHERE store_slug = 'acme'")
            try await waitUntil { try await Self.cartTotal(cell, store: "acme").discount == 1_200 }
            try await Self.execute(cell, "UPDATE lumora.plugins SET enabled = false WHERE store_slug = 'globex'")
            try await waitUntil { try await Self.cartTotal(cell, store: "globex").discount == 0 }
            #expect(try await Self.cartTotal(cell, store: "acme").discount == 1_200)
        }
    }

    // MARK: Helpers

    static func install(_ cell: CellHarness, store: String, name: String, point: String, module: [UInt8], onFailure: String = "skip",
                        sharedCells: Bool = false) async throws {
        try await cell.database.withClient { client in
            try await ExamplePlugins.install(client, store: store, name: name, point: point, module: module, onFailure: onFailure, sharedCells: sharedCells)
        }
    }

    static func execute(_ cell: CellHarness, _ sql: String) async throws {
        try await cell.database.withClient { client in try await client.query(PostgresQuery(unsafeSQL: sql)).drain() }
    }

    static func count(_ cell: CellHarness, _ sql: String) async throws -> Int {
        try await cell.database.withClient { client in
            try await client.query(PostgresQuery(unsafeSQL: sql)).collect(Int.self).first ?? -1
        }
    }

    static func metrics(_ cell: CellHarness) async throws -> String {
        let token = MetricsToken.derived(fromSigningSecret: CellHarness.secret)
        return try await cell.request(.get, "/metrics", store: nil, headers: [("authorization", "Bearer \(token)")]).text
    }

    /// A new cart holding one 120.00 product of `store`: its discount.
    static func cartTotal(_ cell: CellHarness, store: String) async throws -> (discount: Int, total: Int) {
        let handle = "anvil-\(UUID().uuidString.prefix(8).lowercased())"
        let product = try await cell.createProduct(store, handle: handle, variants: [("Default", 12_000, 10)])
        let variant = try #require(product["variants"][0]["id"].string)
        let cartID = try #require(try await cell.request(.post, "/store/carts", store: store).json["cart"]["id"].string)
        let cart = try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: store,
                                          json: #"{"variant_id":"\#(variant)","quantity":1}"#).json["cart"]
        return (cart["discount_total"]["amount"].int ?? -1, cart["total"]["amount"].int ?? -1)
    }

    /// A plugin whose `run` body is `run`.
    static func module(run: String, data: String = "") throws -> [UInt8] {
        try wat2wasm("""
            (module (memory (export "memory") 1) \(data)
              (func (export "alloc") (param i32) (result i32) (i32.const 4096))
              (func (export "run") (param i32 i32) (result i64) \(run)))
            """)
    }

    /// A plugin that always answers `text`.
    static func answering(_ text: String) throws -> [UInt8] {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return try module(run: "(i64.const \((1024 << 32) | text.utf8.count))", data: #"(data (i32.const 1024) "\#(escaped)")"#)
    }
}
