import Foundation
import LumoraCore

/// What Lumora asks of a Checkout Session: one-off `payment` mode, ad-hoc prices
/// (`price_data` + `product_data`, so the catalogue never has to be mirrored into Stripe).
public struct StripeCheckoutSessionParameters: Sendable, Equatable {
    public struct LineItem: Sendable, Equatable {
        public var name: String
        /// Minor units of the session's currency.
        public var unitAmount: Int64
        public var quantity: Int

        public init(name: String, unitAmount: Int64, quantity: Int) {
            self.name = name
            self.unitAmount = unitAmount
            self.quantity = quantity
        }
    }

    public var currency: CurrencyCode
    public var lineItems: [LineItem]
    public var successURL: String
    public var cancelURL: String
    public var customerEmail: String?
    public var clientReferenceID: String?
    /// Sent on the session and on its payment intent (`payment_intent_data[metadata]`): the
    /// session's own metadata stays on the session, and refunds and `charge.*` events reach
    /// Lumora through the payment intent and its charge.
    public var metadata: [String: String]
    /// Stripe accepts 30 minutes to 24 hours after creation; nil leaves its 24-hour default.
    public var expiresAt: Date?

    public init(currency: CurrencyCode, lineItems: [LineItem], successURL: String, cancelURL: String, customerEmail: String? = nil,
                clientReferenceID: String? = nil, metadata: [String: String] = [:], expiresAt: Date? = nil) {
        self.currency = currency
        self.lineItems = lineItems
        self.successURL = successURL
        self.cancelURL = cancelURL
        self.customerEmail = customerEmail
        self.clientReferenceID = clientReferenceID
        self.metadata = metadata
        self.expiresAt = expiresAt
    }

    /// The body of `POST /v1/checkout/sessions`.
    var form: StripeForm {
        var form = StripeForm()
        form.set("mode", "payment")
        let currency = self.currency.code.lowercased()
        form.set("line_items", .array(lineItems.map { item in
            .dictionary([
                ("price_data", .dictionary([
                    ("currency", .string(currency)),
                    ("unit_amount", .string(String(item.unitAmount))),
                    ("product_data", .dictionary([("name", .string(item.name))])),
                ])),
                ("quantity", .string(String(item.quantity))),
            ])
        }))
        form.set("success_url", successURL)
        form.set("cancel_url", cancelURL)
        if let customerEmail { form.set("customer_email", customerEmail) }
        if let clientReferenceID { form.set("client_reference_id", clientReferenceID) }
        if let expiresAt { form.set("expires_at", Int64(expiresAt.timeIntervalSince1970.rounded(.down))) }
        form.set("metadata", metadata: metadata)
        if !metadata.isEmpty {
            form.set("payment_intent_data", .dictionary([
                ("metadata", .dictionary(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ]))
        }
        return form
    }
}
