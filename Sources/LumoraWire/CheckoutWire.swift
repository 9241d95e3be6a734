import Foundation
import LumoraCore

/// How a store is paid and taxed (`GET/PUT /admin/settings/checkout`).
public struct CheckoutSettingsWire: Codable, Sendable, Equatable {
    /// `manual`, `test` or `stripe`.
    public let paymentProvider: String
    /// What this platform offers (the cell's `--payments`).
    public let availableProviders: [String]
    /// The store's Stripe Connect account (`acct_…`).
    public let stripeAccountId: String?
    public let pricesIncludeTax: Bool
    /// Shown to shoppers who pay manually (bank details, cash on delivery).
    public let paymentInstructions: String
    /// Where new-order notices go; none when null.
    public let orderNoticeEmail: String?

    enum CodingKeys: String, CodingKey {
        case paymentProvider = "payment_provider", availableProviders = "available_providers", stripeAccountId = "stripe_account_id",
             pricesIncludeTax = "prices_include_tax", paymentInstructions = "payment_instructions", orderNoticeEmail = "order_notice_email"
    }

    public init(paymentProvider: String, availableProviders: [String], stripeAccountId: String?, pricesIncludeTax: Bool,
                paymentInstructions: String, orderNoticeEmail: String?) {
        self.paymentProvider = paymentProvider
        self.availableProviders = availableProviders
        self.stripeAccountId = stripeAccountId
        self.pricesIncludeTax = pricesIncludeTax
        self.paymentInstructions = paymentInstructions
        self.orderNoticeEmail = orderNoticeEmail
    }
}

/// Absent fields stay as they are; `null` clears the account or the notice address.
public struct UpdateCheckoutSettingsRequest: Codable, Sendable, Equatable {
    public var paymentProvider: String?
    public var stripeAccountId: Field<String>
    public var pricesIncludeTax: Bool?
    public var paymentInstructions: String?
    public var orderNoticeEmail: Field<String>

    private enum CodingKeys: String, CodingKey {
        case paymentProvider = "payment_provider", stripeAccountId = "stripe_account_id", pricesIncludeTax = "prices_include_tax",
             paymentInstructions = "payment_instructions", orderNoticeEmail = "order_notice_email"
    }

    public init(paymentProvider: String? = nil, stripeAccountId: Field<String> = .absent, pricesIncludeTax: Bool? = nil,
                paymentInstructions: String? = nil, orderNoticeEmail: Field<String> = .absent) {
        self.paymentProvider = paymentProvider
        self.stripeAccountId = stripeAccountId
        self.pricesIncludeTax = pricesIncludeTax
        self.paymentInstructions = paymentInstructions
        self.orderNoticeEmail = orderNoticeEmail
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        paymentProvider = try c.decodeIfPresent(String.self, forKey: .paymentProvider)
        stripeAccountId = try Field(c, .stripeAccountId)
        pricesIncludeTax = try c.decodeIfPresent(Bool.self, forKey: .pricesIncludeTax)
        paymentInstructions = try c.decodeIfPresent(String.self, forKey: .paymentInstructions)
        orderNoticeEmail = try Field(c, .orderNoticeEmail)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(paymentProvider, forKey: .paymentProvider)
        try stripeAccountId.encode(to: &c, forKey: .stripeAccountId)
        try c.encodeIfPresent(pricesIncludeTax, forKey: .pricesIncludeTax)
        try c.encodeIfPresent(paymentInstructions, forKey: .paymentInstructions)
        try orderNoticeEmail.encode(to: &c, forKey: .orderNoticeEmail)
    }
}

/// A shipping zone and its rates (`/admin/shipping-zones`).
public struct ShippingZoneWire: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    /// ISO 3166 alpha-2 codes.
    public let countries: [String]
    public let rates: [ShippingRateWire]

    public init(id: String, name: String, countries: [String], rates: [ShippingRateWire]) {
        self.id = id
        self.name = name
        self.countries = countries
        self.rates = rates
    }
}

/// `kind`: `flat` (always `amount`), `free_over` (`amount`, free from a subtotal of
/// `free_over`), `weight` (`amount` for parcels from `min_weight_grams` up to, not including,
/// `max_weight_grams`).
public struct ShippingRateWire: Codable, Sendable, Equatable {
    public let id: String?
    public let name: String
    public let kind: String
    public let amount: Money
    public let freeOver: Money?
    public let minWeightGrams: Int64?
    public let maxWeightGrams: Int64?

    enum CodingKeys: String, CodingKey {
        case id, name, kind, amount, freeOver = "free_over", minWeightGrams = "min_weight_grams", maxWeightGrams = "max_weight_grams"
    }

    public init(id: String? = nil, name: String, kind: String, amount: Money, freeOver: Money? = nil, minWeightGrams: Int64? = nil,
                maxWeightGrams: Int64? = nil) {
        self.id = id
        self.name = name
        self.kind = kind
        self.amount = amount
        self.freeOver = freeOver
        self.minWeightGrams = minWeightGrams
        self.maxWeightGrams = maxWeightGrams
    }
}

/// Creates a zone, or replaces one whole (its rates included).
public struct ShippingZoneRequest: Codable, Sendable, Equatable {
    public var name: String
    public var countries: [String]
    public var rates: [ShippingRateWire]

    public init(name: String, countries: [String], rates: [ShippingRateWire]) {
        self.name = name
        self.countries = countries
        self.rates = rates
    }
}

/// A tax rate by country, and region where given (`/admin/tax-rates`).
public struct TaxRateWire: Codable, Sendable, Equatable {
    public let id: String?
    public let country: String
    public let region: String?
    public let name: String
    /// A percentage as text (`"20"`, `"8.875"`): exact, never a float.
    public let percent: String

    public init(id: String? = nil, country: String, region: String? = nil, name: String = "Tax", percent: String) {
        self.id = id
        self.country = country
        self.region = region
        self.name = name
        self.percent = percent
    }

    enum CodingKeys: String, CodingKey { case id, country, region, name, percent }

    /// A request may leave out the id (it is the server's) and the name ("Tax").
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        country = try c.decode(String.self, forKey: .country)
        region = try c.decodeIfPresent(String.self, forKey: .region)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "Tax"
        percent = try c.decode(String.self, forKey: .percent)
    }
}

/// A rate a cart's address can ship with, priced for that cart.
public struct ShippingOptionWire: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    public let amount: Money

    public init(id: String, name: String, amount: Money) {
        self.id = id
        self.name = name
        self.amount = amount
    }
}

/// Sets a cart's e-mail and address before checkout (so shipping and tax can be priced).
public struct UpdateCartRequest: Codable, Sendable, Equatable {
    public var email: String?
    public var shippingAddress: ShippingAddress?

    enum CodingKeys: String, CodingKey { case email, shippingAddress = "shipping_address" }

    public init(email: String? = nil, shippingAddress: ShippingAddress? = nil) {
        self.email = email
        self.shippingAddress = shippingAddress
    }
}

public struct SelectShippingRequest: Codable, Sendable, Equatable {
    public var optionId: String

    enum CodingKeys: String, CodingKey { case optionId = "option_id" }

    public init(optionId: String) {
        self.optionId = optionId
    }
}

/// How an order is being paid. `status`: `awaiting_payment` (manual: the merchant marks it
/// paid), `requires_payment` (send the shopper to `url`), `requires_action` (a second step
/// is pending), `paid`, `expired` (not paid in time; stock released), `refunded`.
public struct OrderPaymentWire: Codable, Sendable, Equatable {
    public let provider: String
    public let status: String
    /// Where the shopper pays: the provider's hosted page, or the store's own test page.
    public let url: String?
    public let instructions: String?
    public let dueAt: Date?
    public let paidAt: Date?

    enum CodingKeys: String, CodingKey { case provider, status, url, instructions, dueAt = "due_at", paidAt = "paid_at" }

    public init(provider: String, status: String, url: String?, instructions: String?, dueAt: Date?, paidAt: Date?) {
        self.provider = provider
        self.status = status
        self.url = url
        self.instructions = instructions
        self.dueAt = dueAt
        self.paidAt = paidAt
    }
}

public struct RefundWire: Codable, Sendable, Equatable {
    public let id: String
    public let amount: Money
    public let reason: String?
    public let createdAt: Date

    enum CodingKeys: String, CodingKey { case id, amount, reason, createdAt = "created_at" }

    public init(id: String, amount: Money, reason: String?, createdAt: Date) {
        self.id = id
        self.amount = amount
        self.reason = reason
        self.createdAt = createdAt
    }
}

/// A refund of some (`amount`) or all (no amount) of what is left to refund.
public struct CreateRefundRequest: Codable, Sendable, Equatable {
    public var amount: Money?
    public var reason: String?

    public init(amount: Money? = nil, reason: String? = nil) {
        self.amount = amount
        self.reason = reason
    }
}

/// A card number typed on the test payment page (`test` provider only).
public struct TestPaymentRequest: Codable, Sendable, Equatable {
    public var cardNumber: String

    enum CodingKeys: String, CodingKey { case cardNumber = "card_number" }

    public init(cardNumber: String) {
        self.cardNumber = cardNumber
    }
}

/// The shopper's answer to a test card's second step.
public struct ConfirmTestPaymentRequest: Codable, Sendable, Equatable {
    public var approve: Bool

    public init(approve: Bool) {
        self.approve = approve
    }
}

/// One try at paying an order with a test card.
public struct PaymentAttemptWire: Codable, Sendable, Equatable {
    public let id: String
    /// `succeeded`, `failed` or `requires_action`.
    public let status: String
    public let message: String?
    public let order: OrderWire

    public init(id: String, status: String, message: String?, order: OrderWire) {
        self.id = id
        self.status = status
        self.message = message
        self.order = order
    }
}

/// The cell's answer to a Stripe event: `applied` is false for one already applied (a replay).
public struct StripeEventReceiptWire: Codable, Sendable, Equatable {
    public let received: Bool
    public let applied: Bool

    public init(received: Bool, applied: Bool) {
        self.received = received
        self.applied = applied
    }
}
