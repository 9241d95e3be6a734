import Foundation
import LumoraCore
import LumoraPayments
import LumoraWire

/// A store's side of Stripe Connect: Checkout Sessions and refunds on the store's own connected
/// account (`Stripe-Account`), with the platform's key. The store and the order ride in the
/// metadata of the session and its payment intent, so Stripe's webhooks find their way back
/// through the edge to this store's order.
struct StripeCheckout: Sendable {
    static let storeKey = StripeEventRouting.storeKey
    static let orderKey = StripeEventRouting.orderKey

    let client: StripeClient

    var webhookSecret: String { client.configuration.webhookSecret }

    /// A hosted payment page for exactly the order's total: one line per item (after its
    /// discounts), then shipping
    /// and (when prices exclude it) tax as lines of their own, so the page shows what the
    /// order shows. The idempotency key is the order's: a retry after a lost answer, or after
    /// the cell stopped between the order and its session, gets the same session back.
    func startSession(for order: OrderWire, store: StoreSlug, account: String, returnURL: String, expiresAt: Date) async throws -> StripeCheckoutSession {
        var lines = order.items.map { item in
            let name = "\(item.productTitle) — \(item.variantTitle)"
            // A discounted line is charged as one line at what it costs after its discounts
            // (a unit price times a quantity could not always hit it to the cent).
            if let discount = item.discount?.amount, discount > 0 {
                return StripeCheckoutSessionParameters.LineItem(name: "\(name) × \(item.quantity) (discounted)",
                                                                unitAmount: item.total.amount - discount, quantity: 1)
            }
            return StripeCheckoutSessionParameters.LineItem(name: name, unitAmount: item.unitPrice.amount, quantity: item.quantity)
        }
        if order.shippingTotal.amount > 0 {
            lines.append(.init(name: "Shipping" + (order.shippingMethod.map { ": \($0)" } ?? ""), unitAmount: order.shippingTotal.amount, quantity: 1))
        }
        if !order.taxIncluded, order.taxTotal.amount > 0 {
            lines.append(.init(name: "Tax", unitAmount: order.taxTotal.amount, quantity: 1))
        }
        let charged = lines.reduce(Int64(0)) { $0 + $1.unitAmount * Int64($1.quantity) }
        guard charged == order.total.amount else {
            throw LumoraError.internalError("the Stripe lines of order \(order.displayId) add up to \(charged), not its total \(order.total.amount)")
        }
        let separator = returnURL.contains("?") ? "&" : "?"
        let parameters = StripeCheckoutSessionParameters(
            currency: try CurrencyCode(validating: order.currency), lineItems: lines,
            successURL: returnURL + separator + "session_id={CHECKOUT_SESSION_ID}", cancelURL: returnURL,
            customerEmail: order.email, clientReferenceID: order.id,
            metadata: [Self.storeKey: store.rawValue, Self.orderKey: order.id], expiresAt: expiresAt)
        return try await client.createCheckoutSession(parameters, account: account, idempotencyKey: "lumora-\(store.rawValue)-\(order.id)-session")
    }

    func session(id: String, account: String) async throws -> StripeCheckoutSession {
        try await client.checkoutSession(id: id, account: account)
    }

    /// Best effort: a session whose order is gone can no longer be paid.
    func expire(session id: String, account: String) async {
        _ = try? await client.expireCheckoutSession(id: id, account: account, idempotencyKey: "lumora-expire-\(id)")
    }

    /// `key` names the refund the merchant asked for, so asking twice refunds once.
    func refund(paymentIntent: String, amount: Int64, reason: String?, store: StoreSlug, order: OrderWire, account: String,
                key: String) async throws -> StripeRefund {
        // Stripe's own `reason` is one of three words; the merchant's note goes in the metadata.
        var metadata = [Self.storeKey: store.rawValue, Self.orderKey: order.id]
        if let reason, !reason.isEmpty { metadata["reason"] = String(reason.prefix(500)) }
        return try await client.createRefund(paymentIntent: paymentIntent, amount: amount, reason: nil, metadata: metadata, account: account,
                                             idempotencyKey: key)
    }

    func charge(id: String, account: String) async throws -> StripeCharge {
        try await client.charge(id: id, account: account)
    }

    /// The return address a storefront gave: absolute http(s), no longer than Stripe takes.
    static func returnURL(_ raw: String?) throws(LumoraError) -> String {
        guard let raw else {
            throw LumoraError(.unprocessable, code: "return_url_required",
                              message: "return_url is required: this store takes payment on Stripe's page, which sends the shopper back there")
        }
        guard raw.count <= 2000, let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              url.host?.isEmpty == false, raw.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw LumoraError.badRequest("invalid_return_url", "return_url must be an absolute http(s) URL of at most 2000 characters")
        }
        return raw
    }
}
