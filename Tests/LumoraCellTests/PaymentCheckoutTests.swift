import HTTPTypes
import LumoraTestSupport
import PostgresNIO
import Testing

/// Checkout that takes money: shipping zones and rates, tax per line, test cards, manual
/// payments, refunds, and the jobs (mail, expiry) a checkout queues for the manager.
@Suite struct PaymentCheckoutTests {
    static func address(country: String, province: String? = nil) -> String {
        let region = province.map { #","province":"\#($0)""# } ?? ""
        return #"{"first_name":"Ada","last_name":"Lovelace","address_1":"1 Main St","city":"Springfield","postal_code":"12345","country_code":"\#(country)"\#(region)}"#
    }

    /// A cart with `quantity` of a 19.99 variant weighing 400 g.
    static func cart(_ cell: CellHarness, quantity: Int = 2) async throws -> String {
        let product = try await cell.createProduct("acme", handle: "lamp-\(UInt32.random(in: 0...UInt32.max))", variants: [("Brass", 1999, 10)])
        let variant = try #require(product["variants"][0]["id"].string)
        let productID = try #require(product["id"].string)
        try await cell.request(.post, "/admin/products/\(productID)/variants/\(variant)", store: "acme", admin: "acme", json: #"{"weight_grams":400}"#)
        let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)
        try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(variant)","quantity":\#(quantity)}"#)
        return cartID
    }

    static func setUpShipping(_ cell: CellHarness) async throws {
        let zone = try await cell.request(.post, "/admin/shipping-zones", store: "acme", admin: "acme", json: """
            {"name":"North America","countries":["us","CA"],"rates":[
              {"name":"Standard","kind":"free_over","amount":{"amount":500,"currency":"USD"},"free_over":{"amount":10000,"currency":"USD"}},
              {"name":"Light parcel","kind":"weight","amount":{"amount":300,"currency":"USD"},"min_weight_grams":0,"max_weight_grams":1000},
              {"name":"Heavy parcel","kind":"weight","amount":{"amount":1500,"currency":"USD"},"min_weight_grams":1000,"max_weight_grams":30000}]}
            """)
        #expect(zone.status == .created, "\(zone.text)")
        #expect(try zone.json["shipping_zone"]["countries"].array.map(\.string) == ["US", "CA"])
        let tax = try await cell.request(.post, "/admin/tax-rates", store: "acme", admin: "acme", json: #"{"country":"US","region":"NY","name":"NY sales tax","percent":"8.875"}"#)
        #expect(tax.status == .created, "\(tax.text)")
        try await cell.request(.post, "/admin/tax-rates", store: "acme", admin: "acme", json: #"{"country":"US","name":"Sales tax","percent":"5"}"#)
    }

    @Test func shippingAndTaxAddUpOnCartAndOrder() async throws {
        try await CellHarness.run { cell in
            try await Self.setUpShipping(cell)
            let cartID = try await Self.cart(cell)

            // An address outside every zone is told so before payment; nothing is written.
            try await cell.request(.post, "/store/carts/\(cartID)", store: "acme", json: #"{"email":"ada@example.com","shipping_address":\#(Self.address(country: "FR"))}"#)
            let abroad = try await cell.request(.get, "/store/carts/\(cartID)/shipping-options", store: "acme")
            #expect(abroad.status == .unprocessableContent && abroad.errorCode == "no_shipping_zone")
            let refused = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: "{}")
            #expect(refused.errorCode == "no_shipping_zone")
            #expect(try await cell.request(.get, "/store/carts/\(cartID)/order", store: "acme").status == .notFound)

            // New York: 2 × 19.99 = 39.98, 800 g → Standard 5.00 or Light parcel 3.00 (not Heavy).
            var cart = try await cell.request(.post, "/store/carts/\(cartID)", store: "acme",
                                              json: #"{"shipping_address":\#(Self.address(country: "US", province: "ny"))}"#).json["cart"]
            #expect(cart["shipping_required"].int == 1)
            let options = try await cell.request(.get, "/store/carts/\(cartID)/shipping-options", store: "acme").json["shipping_options"].array
            #expect(options.map { $0["name"].string } == ["Standard", "Light parcel"])
            #expect(options.map { $0["amount"]["amount"].int } == [500, 300])
            let noChoice = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: "{}")
            #expect(noChoice.errorCode == "shipping_option_required")

            let light = try #require(options[1]["id"].string)
            cart = try await cell.request(.post, "/store/carts/\(cartID)/shipping-method", store: "acme", json: #"{"option_id":"\#(light)"}"#).json["cart"]
            // Tax per line at 8.875 %: 39.98 → 3.548… → 3.55; shipping 3.00 → 0.266… → 0.27.
            #expect(cart["subtotal"]["amount"].int == 3998)
            #expect(cart["shipping_total"]["amount"].int == 300)
            #expect(cart["tax_total"]["amount"].int == 355 + 27)
            #expect(cart["total"]["amount"].int == 3998 + 300 + 382)

            let order = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: "{}").json["order"]
            #expect(order["status"].string == "pending_payment")
            #expect(order["total"]["amount"].int == 4680)
            #expect(order["tax_total"]["amount"].int == 382)
            #expect(order["shipping_method"].string == "Light parcel")
            #expect(order["items"][0]["tax"]["amount"].int == 355)
            #expect(order["payment"]["provider"].string == "test")

            // A region without its own rate falls back to the country's.
            let other = try await Self.cart(cell, quantity: 6)
            try await cell.request(.post, "/store/carts/\(other)", store: "acme",
                                   json: #"{"email":"b@example.com","shipping_address":\#(Self.address(country: "US", province: "CA"))}"#)
            let heavy = try await cell.request(.get, "/store/carts/\(other)/shipping-options", store: "acme").json["shipping_options"].array
            #expect(heavy.map { $0["name"].string } == ["Standard", "Heavy parcel"])  // 2.4 kg; 119.94 ships free
            #expect(heavy[0]["amount"]["amount"].int == 0)
            let priced = try await cell.request(.post, "/store/carts/\(other)/shipping-method", store: "acme",
                                                json: #"{"option_id":"\#(try #require(heavy[0]["id"].string))"}"#).json["cart"]
            #expect(priced["tax_total"]["amount"].int == 600)  // 119.94 × 5 % = 5.997 → 6.00
        }
    }

    @Test func taxInclusivePricesShowTheTaxTheyHold() async throws {
        try await CellHarness.run { cell in
            let settings = try await cell.request(.put, "/admin/settings/checkout", store: "acme", admin: "acme", json: #"{"prices_include_tax":true}"#)
            #expect(try settings.json["checkout"]["prices_include_tax"].int == 1, "\(settings.text)")
            try await cell.request(.post, "/admin/tax-rates", store: "acme", admin: "acme", json: #"{"country":"DE","name":"MwSt","percent":"19"}"#)
            let cartID = try await Self.cart(cell, quantity: 1)
            let cart = try await cell.request(.post, "/store/carts/\(cartID)", store: "acme",
                                              json: #"{"shipping_address":\#(Self.address(country: "DE"))}"#).json["cart"]
            // 19.99 incl. 19 %: net 16.80, tax 3.19; the total is the shelf price.
            #expect(cart["tax_included"].int == 1)
            #expect(cart["tax_total"]["amount"].int == 319)
            #expect(cart["total"]["amount"].int == 1999)
        }
    }

    @Test func testCardsSucceedDeclineOrAskForASecondStep() async throws {
        try await CellHarness.run { cell in
            let cartID = try await Self.cart(cell)
            let placed = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme",
                                                json: #"{"email":"ada@example.com","shipping_address":\#(Self.address(country: "US"))}"#).json["order"]
            #expect(placed["payment"]["status"].string == "requires_payment")
            let orderID = try #require(placed["id"].string)

            let declined = try await cell.request(.post, "/store/carts/\(cartID)/test-payments", store: "acme", json: #"{"card_number":"4000 0000 0000 0002"}"#)
            #expect(try declined.json["payment"]["status"].string == "failed")
            #expect(try declined.json["payment"]["order"]["status"].string == "pending_payment")
            let bogus = try await cell.request(.post, "/store/carts/\(cartID)/test-payments", store: "acme", json: #"{"card_number":"5555555555554444"}"#)
            #expect(bogus.errorCode == "invalid_test_card")

            let challenged = try await cell.request(.post, "/store/carts/\(cartID)/test-payments", store: "acme", json: #"{"card_number":"4000002500003155"}"#).json["payment"]
            #expect(challenged["status"].string == "requires_action")
            let attempt = try #require(challenged["id"].string)
            let refusedStep = try await cell.request(.post, "/store/carts/\(cartID)/test-payments/\(attempt)/confirm", store: "acme", json: #"{"approve":false}"#)
            #expect(try refusedStep.json["payment"]["status"].string == "failed")
            let replayed = try await cell.request(.post, "/store/carts/\(cartID)/test-payments/\(attempt)/confirm", store: "acme", json: #"{"approve":true}"#)
            #expect(replayed.errorCode == "payment_not_pending")

            let paid = try await cell.request(.post, "/store/carts/\(cartID)/test-payments", store: "acme", json: #"{"card_number":"4242424242424242"}"#).json["payment"]
            #expect(paid["status"].string == "succeeded")
            #expect(paid["order"]["status"].string == "paid")
            #expect(paid["order"]["payment"]["paid_at"].exists)
            let twice = try await cell.request(.post, "/store/carts/\(cartID)/test-payments", store: "acme", json: #"{"card_number":"4242424242424242"}"#)
            #expect(twice.status == .conflict && twice.errorCode == "order_paid")

            // What the manager is asked to do: expire the order at its deadline (a no-op now),
            // mail the shopper's confirmation and the merchant's notice.
            let jobs = try await cell.database.withClient { client in
                try await client.query("SELECT kind, store_slug, payload->>'template', run_after > now() + interval '29 minutes' FROM lumora.jobs ORDER BY id",
                                       logger: cell.database.logger).collect((String, String?, String?, Bool).self)
            }
            #expect(jobs.map(\.0) == ["expire_order", "send_mail", "send_mail"])
            #expect(jobs.allSatisfy { $0.1 == "acme" })
            #expect(jobs[0].3)
            #expect(jobs.compactMap(\.2) == ["order_confirmation", "new_order"])
            #expect(try await cell.request(.get, "/admin/orders/\(orderID)", store: "acme", admin: "acme").json["order"]["status"].string == "paid")
        }
    }

    @Test func refundsArePartialThenFullAndReleaseUnshippedStock() async throws {
        try await CellHarness.run { cell in
            try await cell.request(.put, "/admin/settings/checkout", store: "acme", admin: "acme",
                                   json: #"{"payment_provider":"manual","payment_instructions":"IBAN DE00 1234"}"#)
            let cartID = try await Self.cart(cell)
            let order = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme",
                                               json: #"{"email":"ada@example.com","shipping_address":\#(Self.address(country: "US"))}"#).json["order"]
            let id = try #require(order["id"].string)
            #expect(order["payment"]["status"].string == "awaiting_payment")
            #expect(order["payment"]["instructions"].string == "IBAN DE00 1234")
            #expect(try await cell.request(.post, "/admin/orders/\(id)/refunds", store: "acme", admin: "acme", json: "{}").errorCode == "order_not_refundable")
            #expect(try await cell.request(.post, "/admin/orders/\(id)/mark-paid", store: "acme", admin: "acme").json["order"]["status"].string == "paid")

            let partial = try await cell.request(.post, "/admin/orders/\(id)/refunds", store: "acme", admin: "acme",
                                                 json: #"{"amount":{"amount":1000,"currency":"USD"},"reason":"scratched"}"#)
            #expect(partial.status == .created, "\(partial.text)")
            #expect(try partial.json["order"]["status"].string == "paid")
            #expect(try partial.json["order"]["refunded_amount"]["amount"].int == 1000)
            #expect(try partial.json["order"]["payment"]["status"].string == "partially_refunded")
            let tooMuch = try await cell.request(.post, "/admin/orders/\(id)/refunds", store: "acme", admin: "acme", json: #"{"amount":{"amount":3000,"currency":"USD"}}"#)
            #expect(tooMuch.errorCode == "invalid_refund_amount")
            let negative = try await cell.request(.post, "/admin/orders/\(id)/refunds", store: "acme", admin: "acme", json: #"{"amount":{"amount":-5,"currency":"USD"}}"#)
            #expect(negative.status.code / 100 == 4)

            let rest = try await cell.request(.post, "/admin/orders/\(id)/refunds", store: "acme", admin: "acme", json: "{}").json["order"]
            #expect(rest["status"].string == "refunded")
            #expect(rest["refunded_amount"]["amount"].int == 3998)
            #expect(rest["refunds"].array.count == 2)
            let variants = try await cell.request(.get, "/admin/orders?status=refunded", store: "acme", admin: "acme").json["orders"].array
            #expect(variants.count == 1)
            // The unshipped units are back on sale.
            let product = try await cell.request(.get, "/store/products", store: "acme").json["products"][0]["variants"][0]
            #expect(product["available"].int == 10)
        }
    }

    @Test func badShippingAndTaxInputIsRefused() async throws {
        try await CellHarness.run { cell in
            func post(_ path: String, _ json: String) async throws -> String? {
                try await cell.request(.post, path, store: "acme", admin: "acme", json: json).errorCode
            }
            #expect(try await post("/admin/tax-rates", #"{"country":"USA","percent":"5"}"#) == "invalid_country")
            #expect(try await post("/admin/tax-rates", #"{"country":"US","percent":"5.123456"}"#) == "invalid_tax_rate")
            #expect(try await post("/admin/tax-rates", #"{"country":"US","percent":"150"}"#) == "invalid_tax_rate")
            #expect(try await post("/admin/shipping-zones", #"{"name":"X","countries":[],"rates":[]}"#) == "invalid_countries")
            #expect(try await post("/admin/shipping-zones", #"{"name":"X","countries":["US"],"rates":[{"name":"A","kind":"weight","amount":{"amount":1,"currency":"USD"},"max_weight_grams":0}]}"#) == "invalid_rate")
            #expect(try await post("/admin/shipping-zones", #"{"name":"X","countries":["US"],"rates":[{"name":"A","kind":"flat","amount":{"amount":1,"currency":"EUR"}}]}"#) == "currency_mismatch")
            try await Self.setUpShipping(cell)
            #expect(try await post("/admin/shipping-zones", #"{"name":"Again","countries":["CA","MX"],"rates":[{"name":"A","kind":"flat","amount":{"amount":1,"currency":"USD"}}]}"#) == "country_in_another_zone")
            let stripe = try await cell.request(.put, "/admin/settings/checkout", store: "acme", admin: "acme", json: #"{"payment_provider":"stripe"}"#)
            #expect(stripe.errorCode == "payment_provider_unavailable")
            let account = try await cell.request(.put, "/admin/settings/checkout", store: "acme", admin: "acme", json: #"{"stripe_account_id":"acct_<script>"}"#)
            #expect(account.errorCode == "invalid_stripe_account")
            let zones = try await cell.request(.get, "/admin/shipping-zones", store: "acme", admin: "acme").json["shipping_zones"].array
            #expect(zones.count == 1)
            #expect(zones[0]["rates"].array.count == 3)
        }
    }
}

/// The store schema's own expiry, as the manager's `expire_order` job runs it at the deadline.
@Suite struct OrderExpiryTests {
    @Test func anUnpaidOrderExpiresOnceAndAPaidOneNever() async throws {
        try await CellHarness.run { cell in
            func place() async throws -> (cart: String, id: Int) {
                let cartID = try await PaymentCheckoutTests.cart(cell)
                let order = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme",
                                                   json: #"{"email":"ada@example.com","shipping_address":\#(PaymentCheckoutTests.address(country: "US"))}"#).json["order"]
                return (cartID, try #require(order["display_id"].int))
            }
            let unpaid = try await place()
            let paid = try await place()
            try await cell.request(.post, "/store/carts/\(paid.cart)/test-payments", store: "acme", json: #"{"card_number":"4242424242424242"}"#)
            func expire(_ id: Int, passDeadline: Bool) async throws -> Bool {
                try await cell.database.withClient { client in
                    try await client.transaction(logger: cell.database.logger) { connection in
                        try await connection.query("SET LOCAL search_path TO store_acme", logger: cell.database.logger)
                        if passDeadline {
                            try await connection.query("UPDATE orders SET payment_due_at = now() - interval '1 second' WHERE id = \(id)", logger: cell.database.logger)
                        }
                        return try await connection.query("SELECT expire_unpaid_order(\(id))", logger: cell.database.logger).collect(Bool.self)[0]
                    }
                }
            }
            #expect(try await expire(unpaid.id, passDeadline: false) == false)  // not yet due
            #expect(try await expire(unpaid.id, passDeadline: true) == true)
            #expect(try await expire(unpaid.id, passDeadline: true) == false)   // once
            #expect(try await expire(paid.id, passDeadline: true) == false)     // a payment that came first keeps it
            let order = try await cell.request(.get, "/store/carts/\(unpaid.cart)/order", store: "acme").json["order"]
            #expect(order["status"].string == "canceled")
            #expect(order["payment"]["status"].string == "expired")
            let late = try await cell.request(.post, "/store/carts/\(unpaid.cart)/test-payments", store: "acme", json: #"{"card_number":"4242424242424242"}"#)
            #expect(late.status == .conflict && late.errorCode == "order_canceled")
            // Only the paid order's 2 units stay reserved.
            let variants = try await cell.request(.get, "/admin/products", store: "acme", admin: "acme").json["products"].array
            #expect(variants.map { $0["variants"][0]["reserved"].int ?? -1 }.reduce(0, +) == 2)
        }
    }
}
