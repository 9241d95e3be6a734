import Foundation

/// The fields of a `checkout.session` that Lumora acts on.
public struct StripeCheckoutSession: Sendable, Equatable, Decodable {
    public var id: String
    /// The hosted page; Stripe sends it only while the session is open.
    public var url: String?
    /// `open`, `complete` or `expired` (nullable in the spec).
    public var status: String?
    /// `unpaid`, `paid` or `no_payment_required`: what decides fulfilment, not `status`
    /// (a delayed payment method completes the session unpaid).
    public var paymentStatus: String
    /// Created when the shopper pays (null on an open session since API 2022-08-01).
    public var paymentIntent: String?
    public var amountTotal: Int64?
    /// Lower-case ISO code.
    public var currency: String?
    public var metadata: [String: String]
    public var clientReferenceID: String?

    public init(id: String, url: String? = nil, status: String? = "open", paymentStatus: String = "unpaid", paymentIntent: String? = nil,
                amountTotal: Int64? = nil, currency: String? = nil, metadata: [String: String] = [:], clientReferenceID: String? = nil) {
        self.id = id
        self.url = url
        self.status = status
        self.paymentStatus = paymentStatus
        self.paymentIntent = paymentIntent
        self.amountTotal = amountTotal
        self.currency = currency
        self.metadata = metadata
        self.clientReferenceID = clientReferenceID
    }

    public var isPaid: Bool { paymentStatus == "paid" }

    enum CodingKeys: String, CodingKey {
        case id, url, status, metadata, currency
        case paymentStatus = "payment_status"
        case paymentIntent = "payment_intent"
        case amountTotal = "amount_total"
        case clientReferenceID = "client_reference_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        url = try c.decodeIfPresent(String.self, forKey: .url)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        paymentStatus = try c.decode(String.self, forKey: .paymentStatus)
        paymentIntent = try c.expandableID(.paymentIntent)
        amountTotal = try c.decodeIfPresent(Int64.self, forKey: .amountTotal)
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        metadata = try c.metadata(.metadata)
        clientReferenceID = try c.decodeIfPresent(String.self, forKey: .clientReferenceID)
    }
}
