import HTTPTypes
import LumoraTestSupport
import PostgresNIO
import Testing

@Suite struct CheckoutTests {
    static let address = #"{"first_name":"Ada","last_name":"Lovelace","address_1":"12 Analytical St","city":"London","postal_code":"N1 9GU","country_code":"gb"}"#

    static func complete(email: String = "ada@example.com") -> String {
        #"{"email":"\#(email)","shipping_address":\#(address)}"#
    }

    @Test func cartToOrderWithServerComputedTotals() async throws {
        try await CellHarness.run { cell in
            let product = try await cell.createProduct("acme", handle: "tee", variants: [("S", 1999, 5), ("M", 2500, 5)])
            let small = try #require(product["variants"][0]["id"].string)
            let medium = try #require(product["variants"][1]["id"].string)

            let created = try await cell.request(.post, "/store/carts", store: "acme")
            #expect(created.status == .created)
            let cartID = try #require(try created.json["cart"]["id"].string)
            #expect(cartID.hasPrefix("cart_") && cartID.count == 37)

            try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(small)","quantity":2}"#)
            try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(small)","quantity":1}"#)
            var cart = try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(medium)","quantity":1}"#).json["cart"]
            #expect(cart["items"].array.count == 2)
            #expect(cart["items"][0]["quantity"].int == 3)
            #expect(cart["subtotal"]["amount"].int == 3 * 1999 + 2500)
            #expect(cart["total"]["amount"].int == 3 * 1999 + 2500)
            #expect(cart["item_count"].int == 4)

            let mediumLine = try #require(cart["items"][1]["id"].string)
            cart = try await cell.request(.delete, "/store/carts/\(cartID)/line-items/\(mediumLine)", store: "acme").json["cart"]
            #expect(cart["items"].array.count == 1)
            let smallLine = try #require(cart["items"][0]["id"].string)
            cart = try await cell.request(.post, "/store/carts/\(cartID)/line-items/\(smallLine)", store: "acme", json: #"{"quantity":2}"#).json["cart"]
            #expect(cart["total"]["amount"].int == 3998)

            let completed = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: Self.complete())
            #expect(completed.status == .created, "\(completed.text)")
            let order = try completed.json["order"]
            #expect(order["total"]["amount"].int == 3998)
            #expect(order["email"].string == "ada@example.com")
            #expect(order["shipping_address"]["address_1"].string == "12 Analytical St")
            #expect(order["shipping_address"]["country_code"].string == "GB")
            #expect(order["status"].string == "pending_payment")
            #expect(order["payment"]["provider"].string == "test")  // the harness offers test cards
            #expect(order["payment"]["status"].string == "requires_payment")

            // The cart's holder can read the order it became.
            let viaCart = try await cell.request(.get, "/store/carts/\(cartID)/order", store: "acme").json["order"]
            #expect(viaCart["id"].string == order["id"].string)

            // The cart is spent: a second complete returns the same order, changes are refused.
            let again = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: Self.complete())
            #expect(again.status == .ok)
            #expect(try again.json["order"]["id"].string == order["id"].string)
            let late = try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(small)","quantity":1}"#)
            #expect(late.status == .conflict && late.errorCode == "cart_completed")

            // The stock is reserved.
            let tee = try await cell.request(.get, "/admin/products/\(try #require(product["id"].string))", store: "acme", admin: "acme").json["product"]
            #expect(tee["variants"][0]["reserved"].int == 2)
            #expect(tee["variants"][0]["available"].int == 3)
        }
    }

    @Test func idempotencyKeyReturnsTheSameOrderAndRefusesADifferentBody() async throws {
        try await CellHarness.run { cell in
            let product = try await cell.createProduct("acme", handle: "tee")
            let variant = try #require(product["variants"][0]["id"].string)
            let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)
            try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(variant)","quantity":1}"#)
            let key = [("Idempotency-Key", "checkout-123")]
            let first = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: Self.complete(), headers: key)
            let retry = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: Self.complete(), headers: key)
            #expect(first.status == .created)
            #expect(retry.status == .ok)
            #expect(try retry.json["order"]["id"].string == first.json["order"]["id"].string)
            let different = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: Self.complete(email: "eve@example.com"), headers: key)
            #expect(different.status == .unprocessableContent)
            #expect(different.errorCode == "idempotency_key_reused")
        }
    }

    /// 50 carts race for a variant with 10 in stock: exactly 10 orders, 40 × 409, and the stock
    /// ends stocked 10, reserved 10, available 0.
    @Test func concurrentCheckoutsNeverOversell() async throws {
        try await CellHarness.run { cell in
            let product = try await cell.createProduct("acme", handle: "limited", variants: [("Only", 5000, 10)])
            let variant = try #require(product["variants"][0]["id"].string)
            var carts: [String] = []
            for _ in 0..<50 {
                let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)
                try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(variant)","quantity":1}"#)
                carts.append(cartID)
            }
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for cartID in carts {
                    group.addTask {
                        let response = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: Self.complete())
                        return (response.status, response.errorCode)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .created }.count == 10)
            #expect(statuses.filter { $0.0 == .conflict && $0.1 == "out_of_stock" }.count == 40)
            let stock = try await cell.request(.get, "/admin/products/\(try #require(product["id"].string))", store: "acme", admin: "acme").json["product"]["variants"][0]
            #expect(stock["stocked"].int == 10)
            #expect(stock["reserved"].int == 10)
            #expect(stock["available"].int == 0)
            let orders = try await cell.request(.get, "/admin/orders?limit=100", store: "acme", admin: "acme").json
            #expect(orders["count"].int == 10)
        }
    }

    @Test func outOfStockNamesTheVariantAndReservesNothing() async throws {
        try await CellHarness.run { cell in
            let product = try await cell.createProduct("acme", handle: "tee", variants: [("S", 1000, 5), ("M", 1000, 1)])
            let small = try #require(product["variants"][0]["id"].string)
            let medium = try #require(product["variants"][1]["id"].string)
            let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)
            try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(small)","quantity":2}"#)
            try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(medium)","quantity":3}"#)
            let refused = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: Self.complete())
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "out_of_stock")
            #expect(try refused.json["error"]["message"].string?.contains(medium) == true)
            let variants = try await cell.request(.get, "/admin/products/\(try #require(product["id"].string))", store: "acme", admin: "acme").json["product"]["variants"]
            #expect(variants[0]["reserved"].int == 0)  // the first line's reservation rolled back
            #expect(try await !cell.request(.get, "/store/carts/\(cartID)", store: "acme").json["cart"]["completed_at"].exists)
        }
    }

    @Test func fulfilAndCancelMoveStock() async throws {
        try await CellHarness.run { cell in
            let product = try await cell.createProduct("acme", handle: "tee", variants: [("S", 1000, 5)])
            let variant = try #require(product["variants"][0]["id"].string)
            func order(_ quantity: Int) async throws -> String {
                let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)
                try await cell.request(.post, "/store/carts/\(cartID)/line-items", store: "acme", json: #"{"variant_id":"\#(variant)","quantity":\#(quantity)}"#)
                return try #require(try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: Self.complete()).json["order"]["id"].string)
            }
            let shipped = try await order(2)
            let canceled = try await order(1)
            // Nothing ships before it is paid; a manual payment is marked by the merchant.
            #expect(try await cell.request(.post, "/admin/orders/\(shipped)/fulfil", store: "acme", admin: "acme").errorCode == "order_not_paid")
            #expect(try await cell.request(.post, "/admin/orders/\(shipped)/mark-paid", store: "acme", admin: "acme").json["order"]["status"].string == "paid")
            #expect(try await cell.request(.post, "/admin/orders/\(shipped)/fulfil", store: "acme", admin: "acme").json["order"]["status"].string == "fulfilled")
            #expect(try await cell.request(.post, "/admin/orders/\(canceled)/cancel", store: "acme", admin: "acme").json["order"]["status"].string == "canceled")
            let again = try await cell.request(.post, "/admin/orders/\(canceled)/cancel", store: "acme", admin: "acme")
            #expect(again.status == .conflict && again.errorCode == "order_canceled")
            #expect(try await cell.request(.post, "/admin/orders/\(shipped)/cancel", store: "acme", admin: "acme").errorCode == "order_fulfilled")
            let stock = try await cell.request(.get, "/admin/products/\(try #require(product["id"].string))", store: "acme", admin: "acme").json["product"]["variants"][0]
            #expect(stock["stocked"].int == 3)   // 2 shipped
            #expect(stock["reserved"].int == 0)  // 1 returned
            #expect(try await cell.request(.get, "/admin/orders/\(shipped)", store: "acme", admin: "acme").json["order"]["items"][0]["quantity"].int == 2)
            #expect(try await cell.request(.get, "/admin/orders/order_999", store: "acme", admin: "acme").status == .notFound)
        }
    }
}
