import Foundation
import LumoraCore
import LumoraFakes
import LumoraPayments
import Testing

/// The client against the fake, over real HTTP.
@Suite struct StripeClientTests {
    typealias H = StripeHarness

    @Test func aSessionIsCreatedOnTheStoresAccountAndAReusedKeyReplaysIt() async throws {
        try await H.with { h in
            let first = try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: "order-42-attempt-1")
            #expect(first.id.hasPrefix("cs_test_"))
            #expect(first.status == "open")
            #expect(first.paymentStatus == "unpaid")
            #expect(first.paymentIntent == nil)
            #expect(first.amountTotal == Int64(2 * 2500 + 499))
            #expect(first.currency == "usd")
            #expect(first.metadata == ["store": "acme", "order_id": "42"])
            #expect(first.clientReferenceID == "order_42")
            #expect(first.url == h.fake.baseURL + "/checkout/pay/" + first.id)

            let again = try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: "order-42-attempt-1")
            #expect(again == first)

            let log = h.fake.requests()
            #expect(log.count == 2)
            #expect(log.map(\.replayed) == [false, true])
            #expect(log.allSatisfy { $0.account == H.storeA && $0.idempotencyKey == "order-42-attempt-1" && $0.method == "POST" })
            #expect(log.allSatisfy { $0.stripeVersion == StripeConfiguration.pinnedAPIVersion })
            let form = try #require(log.first?.form)
            #expect(form["mode"] == "payment")
            #expect(form["line_items[0][price_data][currency]"] == "usd")
            #expect(form["line_items[1][price_data][product_data][name]"] == "Bulb")
            #expect(form["metadata[order_id]"] == "42")
            #expect(form["payment_intent_data[metadata][order_id]"] == "42")
            #expect(form["success_url"] == "https://acme.example/orders/42?session={CHECKOUT_SESSION_ID}")

            // The session lives on store A only.
            #expect(try await h.client.checkoutSession(id: first.id, account: H.storeA) == first)
            let elsewhere = await caught { try await h.client.checkoutSession(id: first.id, account: H.storeB) } as? StripeError
            #expect(elsewhere?.httpStatus == 404)
            #expect(elsewhere?.code == "resource_missing")
            #expect(elsewhere?.isRetryable == false)
        }
    }

    @Test func aReusedKeyWithOtherParametersIsAnIdempotencyError() async throws {
        try await H.with { h in
            _ = try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: "k1")
            let changed = H.parameters(lineItems: [.init(name: "Desk lamp", unitAmount: 2500, quantity: 3)])
            let error = try #require(await caught { try await h.client.createCheckoutSession(changed, account: H.storeA, idempotencyKey: "k1") } as? StripeError)
            #expect(error.httpStatus == 400)
            #expect(error.type == "idempotency_error")
            #expect(error.message.contains("same parameters"))
            #expect(!error.isRetryable)
            #expect(error.lumoraError.status == .badGateway)
            #expect(error.lumoraError.code == "payment_provider_refused")
            #expect(error.lumoraError.message.contains(error.message))
            // Keys are per account: the same key on another store is a new request.
            let other = try await h.client.createCheckoutSession(changed, account: H.storeB, idempotencyKey: "k1")
            #expect(other.amountTotal == 7500)
        }
    }

    @Test func aWrongKeyIs401AndAnUnknownAccount403() async throws {
        try await H.with(secretKey: "sk_test_wrong000000") { h in
            let error = try #require(await caught { try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: "k") } as? StripeError)
            #expect(error.httpStatus == 401)
            #expect(error.type == "invalid_request_error")
            #expect(error.message.hasPrefix("Invalid API Key provided: sk_test_"))
            #expect(!error.message.contains("wrong"))
            #expect(!error.isRetryable)
            #expect(error.lumoraError.code == "payment_provider_refused")
            #expect(h.fake.requests().count == 1)
        }
        try await H.with { h in
            let error = try #require(await caught { try await h.client.createCheckoutSession(H.parameters(), account: "acct_1Nobody", idempotencyKey: "k") } as? StripeError)
            #expect(error.httpStatus == 403)
            #expect(error.code == "account_invalid")
            #expect(error.message.contains("acct_1Nobody"))
            let lookup = try #require(await caught { try await h.client.account(id: "acct_1Nobody") } as? StripeError)
            #expect(lookup.code == "account_invalid")
        }
    }

    @Test func aRateLimitIsRetriedWithTheSameKey() async throws {
        try await H.with { h in
            h.fake.failNext(1, status: 429)
            let session = try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: "retry-me")
            let log = h.fake.requests()
            #expect(log.map(\.status) == [429, 200])
            #expect(log.allSatisfy { $0.idempotencyKey == "retry-me" })
            #expect(try await h.client.checkoutSession(id: session.id, account: H.storeA).id == session.id)

            h.fake.failNext(1, status: 500)
            let refetched = try await h.client.checkoutSession(id: session.id, account: H.storeA)
            #expect(refetched.id == session.id)
            #expect(h.fake.requests().suffix(2).map(\.status) == [500, 200])
        }
    }

    @Test func aRateLimitBeyondTheRetriesIsATransientLumoraError() async throws {
        try await H.with(retries: 2) { h in
            h.fake.failNext(3, status: 429)
            let error = try #require(await caught { try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: "k") } as? StripeError)
            #expect(h.fake.requests().map(\.status) == [429, 429, 429])
            #expect(error.httpStatus == 429)
            #expect(error.isRateLimit)
            #expect(error.isRetryable)
            let lumora = error.lumoraError
            #expect(lumora.status == .unavailable)
            #expect(lumora.code == "payment_unavailable")
            #expect(lumora.message.contains("try again"))
            #expect(lumora.details["stripe_status"] == "429")
            // Nothing ran, so nothing was saved under the key: it still works afterwards.
            #expect(try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: "k").status == "open")
        }
    }

    @Test func noAnswerAtAllIsRetryable() async throws {
        // Port 1 refuses connections. AsyncHTTPClient keeps retrying a refused connection until
        // the request's deadline, so the timeout is what ends each attempt here.
        let client = StripeClient(configuration: StripeConfiguration(apiBase: "http://127.0.0.1:1", secretKey: "sk_test_x", webhookSecret: "whsec_x"),
                                  timeout: .milliseconds(300), retries: 1, backoff: .milliseconds(1), logger: H.logger)
        let error = try #require(await caught { try await client.account(id: "acct_1") } as? StripeError)
        #expect(error.httpStatus == nil)
        #expect(error.type == "api_connection_error")
        #expect(error.isRetryable)
        #expect(error.lumoraError.code == "payment_unavailable")
    }

    @Test func expiringASessionEndsItAndAnAccountReportsWhetherItCanCharge() async throws {
        try await H.with { h in
            let session = try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: "e1")
            let expired = try await h.client.expireCheckoutSession(id: session.id, account: H.storeA, idempotencyKey: "e2")
            #expect(expired.status == "expired")
            #expect(expired.url == nil)
            let twice = try #require(await caught { try await h.client.expireCheckoutSession(id: session.id, account: H.storeA, idempotencyKey: "e3") } as? StripeError)
            #expect(twice.httpStatus == 400)
            #expect(h.fake.events().map(\.type) == ["checkout.session.expired"])
            #expect(h.fake.events().first?.account == H.storeA)

            #expect(try await h.client.account(id: H.storeA) == StripeAccount(id: H.storeA, chargesEnabled: true))
            h.fake.addConnectedAccount("acct_1Onboarding", chargesEnabled: false)
            #expect(try await h.client.account(id: "acct_1Onboarding").chargesEnabled == false)
            let refused = try #require(await caught {
                try await h.client.createCheckoutSession(H.parameters(), account: "acct_1Onboarding", idempotencyKey: "x")
            } as? StripeError)
            #expect(refused.httpStatus == 400)
            #expect(refused.message.contains("charges_enabled"))
        }
    }

    @Test func theFakesValidationErrorsReachTheCallerAsStripeSentThem() async throws {
        try await H.with { h in
            let bad = H.parameters(lineItems: [.init(name: "Lamp", unitAmount: 100, quantity: 0)])
            let error = try #require(await caught { try await h.client.createCheckoutSession(bad, account: H.storeA, idempotencyKey: "v1") } as? StripeError)
            #expect(error.httpStatus == 400)
            #expect(error.code == "parameter_invalid_integer")
            #expect(error.param == "line_items[0][quantity]")
            #expect(error.lumoraError.details["stripe_param"] == "line_items[0][quantity]")
            // A refused request is not saved: the corrected one may reuse the key.
            #expect(try await h.client.createCheckoutSession(H.parameters(), account: H.storeA, idempotencyKey: "v1").status == "open")
            #expect(h.fake.requests().map(\.replayed) == [false, false])
        }
    }
}
