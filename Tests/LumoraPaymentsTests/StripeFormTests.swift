import Foundation
import LumoraCore
@testable import LumoraPayments
import Testing

@Suite struct StripeFormTests {
    @Test func nestingIsBracketNotation() throws {
        var form = StripeForm()
        form.set("mode", "payment")
        form.set("line_items", .array([
            .dictionary([("price_data", .dictionary([("currency", .string("usd")), ("unit_amount", .string("2500"))])), ("quantity", .string("1"))]),
            .dictionary([("quantity", .string("2"))]),
        ]))
        form.set("metadata", metadata: ["b": "2", "a": "1"])
        form.set("expand", .list(["payment_intent", "line_items"]))
        form.set("amount", Int64(1200))
        let fields = try form.fields()
        #expect(fields.map(\.0) == [
            "mode", "line_items[0][price_data][currency]", "line_items[0][price_data][unit_amount]", "line_items[0][quantity]",
            "line_items[1][quantity]", "metadata[a]", "metadata[b]", "expand[]", "expand[]", "amount",
        ])
        #expect(try form.encoded() == "mode=payment&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd"
            + "&line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=2500&line_items%5B0%5D%5Bquantity%5D=1"
            + "&line_items%5B1%5D%5Bquantity%5D=2&metadata%5Ba%5D=1&metadata%5Bb%5D=2"
            + "&expand%5B%5D=payment_intent&expand%5B%5D=line_items&amount=1200")
    }

    @Test func everyKeyAndValueIsPercentEncoded() throws {
        var form = StripeForm()
        form.set("metadata", metadata: ["note&x=1": "a&b=c [d] +e", "名前": "ランプ ✓"])
        form.set("success_url", "https://shop.example/ok?session={CHECKOUT_SESSION_ID}&x=1")
        let encoded = try form.encoded()
        #expect(encoded == "metadata%5Bnote%26x%3D1%5D=a%26b%3Dc%20%5Bd%5D%20%2Be"
            + "&metadata%5B%E5%90%8D%E5%89%8D%5D=%E3%83%A9%E3%83%B3%E3%83%97%20%E2%9C%93"
            + "&success_url=https%3A%2F%2Fshop.example%2Fok%3Fsession%3D%7BCHECKOUT_SESSION_ID%7D%26x%3D1")
        // Three parameters, each with exactly one '=': nothing in a value leaked into the syntax.
        #expect(encoded.split(separator: "&").count == 3)
        #expect(encoded.split(separator: "&").allSatisfy { $0.filter { $0 == "=" }.count == 1 })
        #expect(StripeForm.percentEncoded("A-z_0.9~") == "A-z_0.9~")
    }

    @Test func aBracketInsideAKeyIsRefusedNotSentAsNesting() {
        var form = StripeForm()
        form.set("metadata", metadata: ["a[b]": "1"])
        #expect(throws: StripeFormError(key: "metadata[a[b]]")) { try form.encoded() }
        var empty = StripeForm()
        empty.set("metadata", .dictionary([("", .string("x"))]))
        #expect(throws: StripeFormError.self) { try empty.encoded() }
        var top = StripeForm()
        top.set("x]", "1")
        #expect(throws: StripeFormError.self) { try top.encoded() }
    }

    @Test func checkoutParametersEncodeAsTheSpecNamesThem() throws {
        let parameters = StripeCheckoutSessionParameters(
            currency: .eur, lineItems: [.init(name: "Lamp & shade", unitAmount: 2500, quantity: 2)],
            successURL: "https://s.example/ok", cancelURL: "https://s.example/cart", customerEmail: "a@b.example",
            clientReferenceID: "order_42", metadata: ["order_id": "42", "store": "acme"], expiresAt: Date(timeIntervalSince1970: 1_800_000_000.7))
        let fields = Dictionary(try parameters.form.fields(), uniquingKeysWith: { $1 })
        #expect(fields == [
            "mode": "payment",
            "line_items[0][price_data][currency]": "eur",
            "line_items[0][price_data][unit_amount]": "2500",
            "line_items[0][price_data][product_data][name]": "Lamp & shade",
            "line_items[0][quantity]": "2",
            "success_url": "https://s.example/ok",
            "cancel_url": "https://s.example/cart",
            "customer_email": "a@b.example",
            "client_reference_id": "order_42",
            "expires_at": "1800000000",
            "metadata[order_id]": "42",
            "metadata[store]": "acme",
            "payment_intent_data[metadata][order_id]": "42",
            "payment_intent_data[metadata][store]": "acme",
        ])
    }
}
