import HTTPTypes
import Testing

/// Bad input gets a 4xx with the JSON error body, and nothing is written.
@Suite struct BadInputTests {
    @Test func cartInputIsValidated() async throws {
        try await CellHarness.run { cell in
            let product = try await cell.createProduct("acme", handle: "tee")
            let variant = try #require(product["variants"][0]["id"].string)
            let cartID = try #require(try await cell.request(.post, "/store/carts", store: "acme").json["cart"]["id"].string)
            let lines = "/store/carts/\(cartID)/line-items"

            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"variant_id":"\#(variant)","quantity":2"#, .badRequest, "invalid_json"),
                ("not json at all", .badRequest, "invalid_json"),
                (#"{"variant_id":"\#(variant)","quantity":"two"}"#, .badRequest, "invalid_field"),
                (#"{"variant_id":"\#(variant)"}"#, .badRequest, "invalid_field"),
                (#"{"variant_id":"\#(variant)","quantity":-1}"#, .badRequest, "invalid_quantity"),
                (#"{"variant_id":"\#(variant)","quantity":0}"#, .badRequest, "invalid_quantity"),
                (#"{"variant_id":"\#(variant)","quantity":100000000000}"#, .badRequest, "invalid_quantity"),
                (#"{"variant_id":"\#(variant)","quantity":1.5}"#, .badRequest, "invalid_field"),
                (#"{"variant_id":"variant_987654","quantity":1}"#, .notFound, "variant_not_found"),
                (#"{"variant_id":"prod_1","quantity":1}"#, .notFound, "variant_not_found"),
                (#"{"variant_id":"variant_1'; DROP TABLE carts;--","quantity":1}"#, .notFound, "variant_not_found"),
            ]
            for (body, status, code) in cases {
                let response = try await cell.request(.post, lines, store: "acme", json: body)
                #expect(response.status == status, "\(body) → \(response.text)")
                #expect(response.errorCode == code, "\(body) → \(response.text)")
                #expect(try response.json["error"]["message"].string?.isEmpty == false)
            }
            let huge = #"{"variant_id":"\#(variant)","quantity":1,"padding":""# + String(repeating: "x", count: 300_000) + #""}"#
            let tooLarge = try await cell.request(.post, lines, store: "acme", json: huge)
            #expect(tooLarge.status == .contentTooLarge && tooLarge.errorCode == "payload_too_large")

            #expect(try await cell.request(.get, "/store/carts/\(cartID)", store: "acme").json["cart"]["items"].array.isEmpty)
            #expect(try await cell.request(.get, "/store/carts/cart_nope", store: "acme").errorCode == "cart_not_found")

            let incomplete = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme",
                                                    json: #"{"email":"not-an-email","shipping_address":\#(CheckoutTests.address)}"#)
            #expect(incomplete.errorCode == "invalid_email")
            let badCountry = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme",
                                                    json: #"{"email":"a@b.co","shipping_address":{"first_name":"A","last_name":"B","address_1":"x","city":"y","postal_code":"1","country_code":"Atlantis"}}"#)
            #expect(badCountry.errorCode == "invalid_address")
            let empty = try await cell.request(.post, "/store/carts/\(cartID)/complete", store: "acme", json: CheckoutTests.complete())
            #expect(empty.status == .unprocessableContent && empty.errorCode == "cart_empty")
        }
    }

    @Test func paginationAndRoutesAreValidated() async throws {
        try await CellHarness.run { cell in
            for query in ["limit=0", "limit=1000", "limit=abc", "offset=-1", "offset=1e9"] {
                let response = try await cell.request(.get, "/store/products?\(query)", store: "acme")
                #expect(response.status == .badRequest && response.errorCode == "invalid_pagination", "\(query)")
            }
            let missing = try await cell.request(.get, "/store/nothing-here", store: "acme")
            #expect(missing.status == .notFound && missing.errorCode == "not_found")
            #expect(missing.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    @Test func productInputIsValidatedAndNothingIsWritten() async throws {
        try await CellHarness.run { cell in
            let variant = #"{"title":"S","price":{"amount":100,"currency":"USD"}}"#
            let cases: [(String, String)] = [
                (#"{"title":"Tee","handle":"Bad Handle","variants":[\#(variant)]}"#, "invalid_handle"),
                (#"{"title":"","handle":"tee","variants":[\#(variant)]}"#, "invalid_title"),
                (#"{"title":"Tee","handle":"tee","variants":[]}"#, "invalid_variants"),
                (#"{"title":"Tee","handle":"tee","status":"live","variants":[\#(variant)]}"#, "invalid_status"),
                (#"{"title":"Tee","handle":"tee","images":["javascript:alert(1)"],"variants":[\#(variant)]}"#, "invalid_url"),
                (#"{"title":"Tee","handle":"tee","images":["//evil.example/x.png"],"variants":[\#(variant)]}"#, "invalid_url"),
                (#"{"title":"Tee","handle":"tee","variants":[{"title":"S","price":{"amount":-5,"currency":"USD"}}]}"#, "invalid_price"),
                (#"{"title":"Tee","handle":"tee","variants":[{"title":"S","price":{"amount":5,"currency":"EUR"}}]}"#, "currency_mismatch"),
                (#"{"title":"Tee","handle":"tee","variants":[{"title":"S","price":{"amount":5,"currency":"XXX"}}]}"#, "invalid_currency"),
                (#"{"title":"Tee","handle":"tee","variants":[{"title":"S","price":{"amount":5,"currency":"USD"},"stocked":-1}]}"#, "invalid_stock"),
                (#"{"title":"Tee","handle":"tee","collection":"nope","variants":[\#(variant)]}"#, "unknown_collection"),
            ]
            for (body, code) in cases {
                let response = try await cell.request(.post, "/admin/products", store: "acme", admin: "acme", json: body)
                #expect((400..<500).contains(Int(response.status.code)), "\(body) → \(response.text)")
                #expect(response.errorCode == code, "\(body) → \(response.text)")
            }
            #expect(try await cell.request(.get, "/admin/products", store: "acme", admin: "acme").json["count"].int == 0)
            let color = try await cell.request(.put, "/admin/settings", store: "acme", admin: "acme", json: #"{"primary_color":"red; background:url(x)"}"#)
            #expect(color.errorCode == "invalid_color")
        }
    }
}
