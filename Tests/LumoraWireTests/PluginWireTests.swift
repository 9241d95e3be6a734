import Foundation
import LumoraCore
import LumoraWire
import Testing

/// The plugin contract's JSON (docs/PLUGINS.md): what a module reads, and which answers the
/// cart takes.
@Suite struct PluginWireTests {
    @Test func theInputIsSnakeCaseWithMinorUnits() throws {
        let input = PluginCartInput(point: .cartDiscounts, apiVersion: 1, store: try StoreSlug(validating: "acme"), currency: .usd,
                                    cart: .init(id: "cart_1", subtotal: 12000, itemCount: 2, lines: [
                                        .init(id: "item_1", variantId: "variant_3", productId: "product_2", sku: "R-1", title: "Rocket",
                                              quantity: 2, unitPrice: 6000, total: 12000),
                                    ]), customer: .init(email: "wile@acme.test"))
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(input)) as? [String: Any])
        #expect(object["point"] as? String == "cart.discounts" && object["api_version"] as? Int == 1 && object["currency"] as? String == "USD")
        let cart = try #require(object["cart"] as? [String: Any])
        #expect(cart["item_count"] as? Int == 2 && cart["subtotal"] as? Int == 12000)
        let line = try #require((cart["lines"] as? [[String: Any]])?.first)
        #expect(line["unit_price"] as? Int == 6000 && line["variant_id"] as? String == "variant_3")
    }

    @Test func discountsAreTakenOnlyWhenTheyFollowTheRules() throws {
        func decode(_ json: String) throws -> CartDiscountsOutput { try JSONDecoder().decode(CartDiscountsOutput.self, from: Data(json.utf8)) }
        let good = try decode(#"{"discounts":[{"title":"10% off orders over $100","amount":1200},{"title":"Rocket week","percentage":12.5,"line_id":"item_2"}]}"#)
        #expect(try good.validated(lineIDs: ["item_1", "item_2"]) == [
            .init(title: "10% off orders over $100", target: .order, value: .amount(1200)),
            .init(title: "Rocket week", target: .line(1), value: .basisPoints(1250)),
        ])
        for bad in [
            #"{"discounts":[{"title":"","amount":1}]}"#,
            #"{"discounts":[{"title":"a\u0007","amount":1}]}"#,
            #"{"discounts":[{"title":"neg","amount":-1}]}"#,
            #"{"discounts":[{"title":"both","amount":1,"percentage":1}]}"#,
            #"{"discounts":[{"title":"neither"}]}"#,
            #"{"discounts":[{"title":"too much","percentage":100.5}]}"#,
            #"{"discounts":[{"title":"fine grain","percentage":3.333}]}"#,
            #"{"discounts":[{"title":"elsewhere","amount":1,"line_id":"item_9"}]}"#,
        ] {
            #expect(throws: PluginOutputError.self, "\(bad)") { try decode(bad).validated(lineIDs: ["item_1"]) }
        }
        // Not the shape at all: the decoder refuses it before the rules are asked.
        #expect(throws: DecodingError.self) { try decode(#"{"discounts":{"title":"x"}}"#) }
    }

    @Test func validationErrorsCarryTheirMessages() throws {
        let output = try JSONDecoder().decode(CheckoutValidateOutput.self, from: Data(#"{"errors":[{"message":" At most 2 of each item per order ","line_id":"item_7"}]}"#.utf8))
        #expect(try output.validated() == ["At most 2 of each item per order"])
        #expect(throws: PluginOutputError.self) { try CheckoutValidateOutput(errors: [.init(message: "  ")]).validated() }
    }

    @Test func extensionPointsAndVersions() throws {
        #expect(try ExtensionPoint(validating: "checkout.validate") == .checkoutValidate)
        #expect(throws: LumoraError.self) { try ExtensionPoint(validating: "cart.surcharges") }
        #expect(try ExtensionPoint.cartDiscounts.version(validating: nil) == 1)
        #expect(throws: LumoraError.self) { try ExtensionPoint.cartDiscounts.version(validating: 2) }
    }

    @Test func shippingAnswersOnlyReshapeTheRatesGiven() throws {
        let given: [PluginShippingInput.Rate] = [.init(id: "ship_1", name: "Standard", amount: 500), .init(id: "ship_2", name: "Express", amount: 1500)]
        // Left out: hidden; named: renamed; priced: repriced; in the answer's order.
        let kept = try ShippingRatesOutput(rates: [.init(id: "ship_2", amount: 0), .init(id: "ship_1", name: "Standard (3 days)")]).validated(given: given)
        #expect(kept == [.init(id: "ship_2", name: "Express", amount: 0), .init(id: "ship_1", name: "Standard (3 days)", amount: 500)])
        #expect(try ShippingRatesOutput(rates: []).validated(given: given).isEmpty)
        // An added rate: a code, a name and an amount.
        #expect(try ShippingRatesOutput(rates: [.init(code: "pickup", name: "Pick up", amount: 0)]).validated(given: given)
                == [.init(id: "shipx_pickup", name: "Pick up", amount: 0)])
        for bad in [ShippingRatesOutput(rates: [.init(id: "ship_9")]), ShippingRatesOutput(rates: [.init(id: "ship_1"), .init(id: "ship_1")]),
                    ShippingRatesOutput(rates: [.init(id: "ship_1", amount: -1)]), ShippingRatesOutput(rates: [.init(id: "ship_1", name: " ")]),
                    ShippingRatesOutput(rates: [.init(id: "ship_1", name: "a\u{7}b")]),
                    ShippingRatesOutput(rates: [.init(code: "Pick Up", name: "x", amount: 0)]), ShippingRatesOutput(rates: [.init(code: "pickup", name: "x")]),
                    ShippingRatesOutput(rates: [.init(id: "ship_1", code: "pickup")]), ShippingRatesOutput(rates: [.init()])] {
            #expect(throws: PluginOutputError.self) { try bad.validated(given: given) }
        }
    }
}
