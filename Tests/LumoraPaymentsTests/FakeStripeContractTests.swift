import Foundation
import LumoraFakes
import LumoraPayments
import Testing

/// The fake itself, over raw HTTP: what Stripe's document and API reference say it must do,
/// whatever our client happens to send.
@Suite struct FakeStripeContractTests {
    typealias H = StripeHarness

    static let minimal = "mode=payment&success_url=https%3A%2F%2Fa.example%2Fok"
        + "&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd&line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=100"
        + "&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Pen&line_items%5B0%5D%5Bquantity%5D=1"

    func post(_ h: H, _ path: String, _ body: String, account: String? = H.storeA, key: String? = nil, bearer: String? = "sk_test_lumora") async throws -> RawReply {
        var headers: [(String, String)] = []
        if let account { headers.append(("Stripe-Account", account)) }
        if let key { headers.append(("Idempotency-Key", key)) }
        return try await Raw.send("POST", h.fake.baseURL + path, bearer: bearer, body: body, headers: headers)
    }

    @Test func authenticationAndBodies() async throws {
        try await H.with { h in
            let missing = try await post(h, "/v1/checkout/sessions", Self.minimal, bearer: nil)
            #expect(missing.status == 401)
            #expect((missing.error["message"] as? String)?.hasPrefix("You did not provide an API key.") == true)
            #expect(missing.header("WWW-Authenticate") != nil)

            let json = try await Raw.send("POST", h.fake.baseURL + "/v1/checkout/sessions", contentType: "application/json",
                                          body: #"{"mode":"payment"}"#, headers: [("Stripe-Account", H.storeA)])
            #expect(json.status == 400)
            #expect((json.error["message"] as? String)?.contains("application/x-www-form-urlencoded") == true)

            let basic = try await Raw.send("GET", h.fake.baseURL + "/v1/accounts/\(H.storeA)", bearer: nil,
                                           headers: [("Authorization", "Basic " + Data("sk_test_lumora:".utf8).base64EncodedString())])
            #expect(basic.status == 200)
            #expect(basic.json["charges_enabled"] as? Bool == true)
            #expect(basic.header("Request-Id")?.hasPrefix("req_") == true)

            let unknown = try await Raw.send("GET", h.fake.baseURL + "/v1/widgets")
            #expect(unknown.status == 404)
            #expect((unknown.error["message"] as? String)?.hasPrefix("Unrecognized request URL (GET: /v1/widgets)") == true)
        }
    }

    @Test func parameterErrorsUseStripesCodes() async throws {
        try await H.with { h in
            func error(_ body: String) async throws -> (status: Int, code: String?, param: String?) {
                let reply = try await post(h, "/v1/checkout/sessions", body)
                return (reply.status, reply.error["code"] as? String, reply.error["param"] as? String)
            }
            let noItems = try await error("mode=payment&success_url=https%3A%2F%2Fa.example")
            #expect(noItems == (400, "parameter_missing", "line_items"))
            let noMode = try await error(Self.minimal.replacingOccurrences(of: "mode=payment&", with: ""))
            #expect(noMode == (400, "parameter_missing", "mode"))
            let notInteger = try await error(Self.minimal.replacingOccurrences(of: "unit_amount%5D=100", with: "unit_amount%5D=1.5"))
            #expect(notInteger == (400, "parameter_invalid_integer", "line_items[0][price_data][unit_amount]"))
            let unknown = try await error(Self.minimal + "&colour=red")
            #expect(unknown == (400, "parameter_unknown", "colour"))
            let nested = try await error(Self.minimal + "&line_items%5B0%5D%5Bsize%5D=xl")
            #expect(nested == (400, "parameter_unknown", "line_items[0][size]"))
            let emptyURL = try await error(Self.minimal.replacingOccurrences(of: "success_url=https%3A%2F%2Fa.example%2Fok", with: "success_url="))
            #expect(emptyURL == (400, "parameter_invalid_empty", "success_url"))
            let badURL = try await error(Self.minimal.replacingOccurrences(of: "https%3A%2F%2Fa.example%2Fok", with: "not-a-url"))
            #expect(badURL == (400, "url_invalid", "success_url"))
            let expiresSoon = try await error(Self.minimal + "&expires_at=\(Int(Date().timeIntervalSince1970) + 60)")
            #expect(expiresSoon.param == "expires_at")

            let refund = try await post(h, "/v1/refunds", "amount=abc&payment_intent=pi_1")
            #expect(refund.error["code"] as? String == "parameter_invalid_integer")
            let neither = try await post(h, "/v1/refunds", "amount=5")
            #expect(neither.error["code"] as? String == "parameter_missing")
            let noSuch = try await post(h, "/v1/refunds", "payment_intent=pi_nope")
            #expect(noSuch.status == 404)
            #expect(noSuch.error["code"] as? String == "resource_missing")
        }
    }

    @Test func idempotencyKeysArePerAccountAndValidationFailuresAreNotSaved() async throws {
        try await H.with { h in
            let first = try await post(h, "/v1/checkout/sessions", Self.minimal, key: "same")
            #expect(first.status == 200)
            #expect(first.header("Idempotent-Replayed") == nil)
            let replay = try await post(h, "/v1/checkout/sessions", Self.minimal, key: "same")
            #expect(replay.header("Idempotent-Replayed") == "true")
            #expect(replay.json["id"] as? String == first.json["id"] as? String)
            // Parameter order does not make a request different.
            let reordered = Self.minimal.split(separator: "&").reversed().joined(separator: "&")
            #expect(try await post(h, "/v1/checkout/sessions", reordered, key: "same").header("Idempotent-Replayed") == "true")
            let mismatch = try await post(h, "/v1/checkout/sessions", Self.minimal + "&client_reference_id=x", key: "same")
            #expect(mismatch.status == 400)
            #expect(mismatch.error["type"] as? String == "idempotency_error")
            let otherEndpoint = try await post(h, "/v1/refunds", "payment_intent=pi_x", key: "same")
            #expect(otherEndpoint.error["type"] as? String == "idempotency_error")

            let otherAccount = try await post(h, "/v1/checkout/sessions", Self.minimal, account: H.storeB, key: "same")
            #expect(otherAccount.header("Idempotent-Replayed") == nil)
            #expect(otherAccount.json["id"] as? String != first.json["id"] as? String)

            let invalid = try await post(h, "/v1/checkout/sessions", Self.minimal + "&colour=red", key: "fresh")
            #expect(invalid.status == 400)
            let corrected = try await post(h, "/v1/checkout/sessions", Self.minimal, key: "fresh")
            #expect(corrected.status == 200)
            #expect(corrected.header("Idempotent-Replayed") == nil)
        }
    }

    @Test func connectedAccountsScopeEverything() async throws {
        try await H.with { h in
            let unknown = try await post(h, "/v1/checkout/sessions", Self.minimal, account: "acct_1Stranger")
            #expect(unknown.status == 403)
            #expect(unknown.error["code"] as? String == "account_invalid")
            #expect((unknown.error["message"] as? String)?.contains("does not have access to account 'acct_1Stranger'") == true)

            let platform = try await post(h, "/v1/checkout/sessions", Self.minimal, account: nil)
            #expect(platform.status == 200)
            let id = try #require(platform.json["id"] as? String)
            let fromStore = try await Raw.send("GET", h.fake.baseURL + "/v1/checkout/sessions/\(id)", headers: [("Stripe-Account", H.storeA)])
            #expect(fromStore.status == 404)
            #expect(fromStore.error["code"] as? String == "resource_missing")
            let fromPlatform = try await Raw.send("GET", h.fake.baseURL + "/v1/checkout/sessions/\(id)")
            #expect(fromPlatform.status == 200)
            #expect(fromPlatform.json["object"] as? String == "checkout.session")
        }
    }

    @Test func theHostedPagePaysAndRedirects() async throws {
        try await H.with { h in
            let session = try await h.client.createCheckoutSession(H.parameters(lineItems: [.init(name: "<b>Lamp</b>", unitAmount: 1250, quantity: 2)]),
                                                                   account: H.storeA, idempotencyKey: "page")
            let url = try #require(session.url)
            let page = try await Raw.send("GET", url, bearer: nil)
            #expect(page.status == 200)
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(html.contains("&lt;b&gt;Lamp&lt;/b&gt;"))
            #expect(!html.contains("<b>Lamp"))
            #expect(html.contains("Pay $25.00"))
            #expect(html.contains("id=\"cancel\""))

            let cancel = try await Raw.send("POST", url, bearer: nil, body: "action=cancel")
            #expect(cancel.status == 303)
            #expect(cancel.header("Location") == "https://acme.example/cart")
            #expect(try await h.client.checkoutSession(id: session.id, account: H.storeA).status == "open")

            let pay = try await Raw.send("POST", url, bearer: nil, body: "action=pay")
            #expect(pay.status == 303)
            #expect(pay.header("Location") == "https://acme.example/orders/42?session=\(session.id)")
            let paid = try await h.client.checkoutSession(id: session.id, account: H.storeA)
            #expect(paid.isPaid)
            #expect(try await Raw.send("GET", url, bearer: nil).status == 410)
            await #expect(throws: FakeStripeError.sessionNotOpen(session.id, "complete")) { try await h.fake.completeSession(session.id) }
            // Page visits are not API requests.
            #expect(h.fake.requests().allSatisfy { $0.path.hasPrefix("/v1/") })
        }
    }
}
