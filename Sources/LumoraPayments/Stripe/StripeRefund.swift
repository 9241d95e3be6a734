import Foundation

/// A `refund`: of a payment intent's charge, made through Lumora or in Stripe's dashboard.
public struct StripeRefund: Sendable, Equatable, Decodable {
    public var id: String
    public var amount: Int64
    /// `pending`, `requires_action`, `succeeded`, `failed` or `canceled` (nullable in the spec).
    public var status: String?
    public var paymentIntent: String?
    public var charge: String?
    public var currency: String?
    public var reason: String?
    public var metadata: [String: String]

    public init(id: String, amount: Int64, status: String? = "succeeded", paymentIntent: String? = nil, charge: String? = nil,
                currency: String? = nil, reason: String? = nil, metadata: [String: String] = [:]) {
        self.id = id
        self.amount = amount
        self.status = status
        self.paymentIntent = paymentIntent
        self.charge = charge
        self.currency = currency
        self.reason = reason
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case id, amount, status, charge, currency, reason, metadata
        case paymentIntent = "payment_intent"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        amount = try c.decode(Int64.self, forKey: .amount)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        paymentIntent = try c.expandableID(.paymentIntent)
        charge = try c.expandableID(.charge)
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        metadata = try c.metadata(.metadata)
    }
}
