import Foundation

/// A `charge`, as `charge.refunded` delivers it: how much of the payment has been refunded,
/// whoever refunded it.
public struct StripeCharge: Sendable, Equatable, Decodable {
    public var id: String
    public var paymentIntent: String?
    public var amount: Int64
    public var amountRefunded: Int64
    public var currency: String
    /// True only once the whole amount is refunded.
    public var refunded: Bool
    public var metadata: [String: String]
    /// Only when expanded (`expand[]=refunds`): since API 2022-11-15 charges no longer embed
    /// their refunds by default, and events never expand.
    public var refunds: [StripeRefund]?

    public init(id: String, paymentIntent: String? = nil, amount: Int64, amountRefunded: Int64 = 0, currency: String, refunded: Bool = false,
                metadata: [String: String] = [:], refunds: [StripeRefund]? = nil) {
        self.id = id
        self.paymentIntent = paymentIntent
        self.amount = amount
        self.amountRefunded = amountRefunded
        self.currency = currency
        self.refunded = refunded
        self.metadata = metadata
        self.refunds = refunds
    }

    enum CodingKeys: String, CodingKey {
        case id, amount, currency, refunded, metadata, refunds
        case paymentIntent = "payment_intent"
        case amountRefunded = "amount_refunded"
    }

    private struct RefundList: Decodable { var data: [StripeRefund] }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        paymentIntent = try c.expandableID(.paymentIntent)
        amount = try c.decode(Int64.self, forKey: .amount)
        amountRefunded = try c.decode(Int64.self, forKey: .amountRefunded)
        currency = try c.decode(String.self, forKey: .currency)
        refunded = try c.decode(Bool.self, forKey: .refunded)
        metadata = try c.metadata(.metadata)
        refunds = try c.decodeIfPresent(RefundList.self, forKey: .refunds)?.data
    }
}
