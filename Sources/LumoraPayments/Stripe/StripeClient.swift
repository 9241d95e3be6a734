import AsyncHTTPClient
import Foundation
import LumoraCore
import Logging
import NIOHTTP1

/// Stripe's REST API as Lumora uses it: Checkout Sessions and refunds on each store's connected
/// account (`Stripe-Account`), and the accounts themselves.
///
/// Failures are `StripeError`s; callers at an HTTP edge answer with `error.lumoraError`.
public struct StripeClient: Sendable {
    public let configuration: StripeConfiguration
    let http: StripeHTTP

    /// `retries` counts attempts after the first; `backoff` is the first wait between them.
    public init(configuration: StripeConfiguration, httpClient: HTTPClient = .shared, timeout: Duration = .seconds(20), retries: Int = 2,
                backoff: Duration = .milliseconds(500), clock: any MonotonicClock = SystemClock(), logger: Logger) {
        self.configuration = configuration
        self.http = StripeHTTP(configuration: configuration, client: httpClient, timeout: timeout, retries: max(retries, 0),
                               backoff: backoff, clock: clock, logger: logger)
    }

    public func createCheckoutSession(_ parameters: StripeCheckoutSessionParameters, account: String,
                                      idempotencyKey: String) async throws -> StripeCheckoutSession {
        try await decode(http.send(.POST, "/v1/checkout/sessions", form: parameters.form, account: account, idempotencyKey: idempotencyKey))
    }

    public func checkoutSession(id: String, account: String) async throws -> StripeCheckoutSession {
        try await decode(http.send(.GET, "/v1/checkout/sessions/\(Self.segment(id))", account: account, idempotencyKey: nil))
    }

    /// Ends an open session so it can no longer be paid (a cart changed, an order was cancelled).
    public func expireCheckoutSession(id: String, account: String, idempotencyKey: String) async throws -> StripeCheckoutSession {
        try await decode(http.send(.POST, "/v1/checkout/sessions/\(Self.segment(id))/expire", account: account, idempotencyKey: idempotencyKey))
    }

    /// Refunds `amount` (nil: whatever is left) of the payment intent's charge.
    public func createRefund(paymentIntent: String, amount: Int64?, reason: String?, metadata: [String: String], account: String,
                             idempotencyKey: String) async throws -> StripeRefund {
        var form = StripeForm()
        form.set("payment_intent", paymentIntent)
        if let amount { form.set("amount", amount) }
        if let reason { form.set("reason", reason) }
        form.set("metadata", metadata: metadata)
        return try await decode(http.send(.POST, "/v1/refunds", form: form, account: account, idempotencyKey: idempotencyKey))
    }

    /// A charge with every refund made of it, wherever it was made (events never carry the
    /// refunds: since API 2022-11-15 they are only there when expanded).
    public func charge(id: String, account: String) async throws -> StripeCharge {
        var form = StripeForm()
        form.set("expand", .list(["refunds"]))
        return try await decode(http.send(.GET, "/v1/charges/\(Self.segment(id))", form: form, account: account, idempotencyKey: nil))
    }

    /// A connected account as the platform sees it (no `Stripe-Account`: the platform asks
    /// about the account, it does not act as it).
    public func account(id: String) async throws -> StripeAccount {
        try await decode(http.send(.GET, "/v1/accounts/\(Self.segment(id))", account: nil, idempotencyKey: nil))
    }

    private func decode<T: Decodable>(_ reply: StripeReply) throws -> T {
        try StripeJSON.decode(T.self, from: reply.body, status: reply.status, requestID: reply.requestID)
    }

    /// Ids come from Stripe and webhooks; encoding them keeps one from naming another path.
    static func segment(_ id: String) -> String { StripeForm.percentEncoded(id) }
}
