import Foundation
import LumoraCore

/// A cart as the store API sends it (`{"cart": {…}}`). Its money lines follow
/// `CheckoutTotals`: they add up, and tax is rounded per line.
public struct CartWire: Codable, Sendable, Equatable {
    public let id: String
    public let currency: String
    public let email: String?
    public let items: [LineItemWire]
    public let itemCount: Int
    public let subtotal: Money
    public let shippingTotal: Money
    public let taxTotal: Money
    public let total: Money
    /// Prices include tax (`tax_total` is then part of `subtotal` and shipping, not added).
    public let taxIncluded: Bool
    public let shippingAddress: ShippingAddress?
    /// The shipping rate chosen for the address, if any.
    public let shippingOption: ShippingOptionWire?
    /// The store ships (it has shipping zones): checkout needs an address in a zone and a rate.
    public let shippingRequired: Bool
    public let completedAt: Date?
    public let createdAt: Date
    public let updatedAt: Date
    /// What the store's discounts take off (`total` is after them); `subtotal` is before.
    public var discountTotal: Money
    /// The discounts that took something, in the order they apply.
    public var discounts: [DiscountWire] = []

    enum CodingKeys: String, CodingKey {
        case id, currency, email, items, itemCount = "item_count", subtotal, shippingTotal = "shipping_total", taxTotal = "tax_total", total,
             taxIncluded = "tax_included", shippingAddress = "shipping_address", shippingOption = "shipping_option",
             shippingRequired = "shipping_required", completedAt = "completed_at", createdAt = "created_at", updatedAt = "updated_at",
             discountTotal = "discount_total", discounts
    }

    public init(id: String, currency: String, email: String?, items: [LineItemWire], itemCount: Int, subtotal: Money,
                shippingTotal: Money, taxTotal: Money, total: Money, taxIncluded: Bool = false, shippingAddress: ShippingAddress? = nil,
                shippingOption: ShippingOptionWire? = nil, shippingRequired: Bool = false, completedAt: Date?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.currency = currency
        self.email = email
        self.items = items
        self.itemCount = itemCount
        self.subtotal = subtotal
        self.shippingTotal = shippingTotal
        self.taxTotal = taxTotal
        self.total = total
        self.taxIncluded = taxIncluded
        self.shippingAddress = shippingAddress
        self.shippingOption = shippingOption
        self.shippingRequired = shippingRequired
        self.completedAt = completedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.discountTotal = .zero(total.currency)
    }

    /// Fields added since the first version default, so an edge reads a cell a release behind.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        currency = try c.decode(String.self, forKey: .currency)
        email = try c.decodeIfPresent(String.self, forKey: .email)
        items = try c.decode([LineItemWire].self, forKey: .items)
        itemCount = try c.decode(Int.self, forKey: .itemCount)
        subtotal = try c.decode(Money.self, forKey: .subtotal)
        shippingTotal = try c.decode(Money.self, forKey: .shippingTotal)
        taxTotal = try c.decode(Money.self, forKey: .taxTotal)
        total = try c.decode(Money.self, forKey: .total)
        taxIncluded = try c.decodeIfPresent(Bool.self, forKey: .taxIncluded) ?? false
        shippingAddress = try c.decodeIfPresent(ShippingAddress.self, forKey: .shippingAddress)
        shippingOption = try c.decodeIfPresent(ShippingOptionWire.self, forKey: .shippingOption)
        shippingRequired = try c.decodeIfPresent(Bool.self, forKey: .shippingRequired) ?? false
        completedAt = try c.decodeIfPresent(Date.self, forKey: .completedAt)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
        discountTotal = try c.decodeIfPresent(Money.self, forKey: .discountTotal) ?? .zero(total.currency)
        discounts = try c.decodeIfPresent([DiscountWire].self, forKey: .discounts) ?? []
    }
}

public struct LineItemWire: Codable, Sendable, Equatable {
    public let id: String
    public let variantId: String
    public let productId: String
    public let productTitle: String
    public let productHandle: String
    public let variantTitle: String
    public let sku: String?
    public let thumbnail: String?
    public let quantity: Int
    public let unitPrice: Money
    public let total: Money
    public let available: Int64

    enum CodingKeys: String, CodingKey { case id, variantId = "variant_id", productId = "product_id", productTitle = "product_title", productHandle = "product_handle", variantTitle = "variant_title", sku, thumbnail, quantity, unitPrice = "unit_price", total, available }

    public init(id: String, variantId: String, productId: String, productTitle: String, productHandle: String, variantTitle: String,
                sku: String?, thumbnail: String?, quantity: Int, unitPrice: Money, total: Money, available: Int64) {
        self.id = id
        self.variantId = variantId
        self.productId = productId
        self.productTitle = productTitle
        self.productHandle = productHandle
        self.variantTitle = variantTitle
        self.sku = sku
        self.thumbnail = thumbnail
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.total = total
        self.available = available
    }
}

/// An order as the store and admin APIs send it (`{"order": {…}}`, or in a page of `orders`).
/// `status`: pending_payment → paid → fulfilled, or canceled, or refunded (in full;
/// `refunded_amount` tells a partial refund).
public struct OrderWire: Codable, Sendable, Equatable {
    public let id: String
    public let displayId: Int64
    public let cartId: String
    public let email: String
    public let shippingAddress: ShippingAddress
    public let status: String
    public let currency: String
    public let items: [OrderLineWire]
    public let subtotal: Money
    public let shippingTotal: Money
    public let taxTotal: Money
    public let total: Money
    public let taxIncluded: Bool
    public let shippingMethod: String?
    public let payment: OrderPaymentWire?
    public let refundedAmount: Money
    public let refunds: [RefundWire]
    /// Why the merchant must look at the order (a payment that did not match it).
    public let flag: String?
    public let createdAt: Date
    public let updatedAt: Date
    /// What discounts took off (`total` is after them), and which.
    public var discountTotal: Money
    public var discounts: [DiscountWire] = []

    enum CodingKeys: String, CodingKey {
        case id, displayId = "display_id", cartId = "cart_id", email, shippingAddress = "shipping_address", status, currency, items, subtotal,
             shippingTotal = "shipping_total", taxTotal = "tax_total", total, taxIncluded = "tax_included", shippingMethod = "shipping_method",
             payment, refundedAmount = "refunded_amount", refunds, flag, createdAt = "created_at", updatedAt = "updated_at",
             discountTotal = "discount_total", discounts
    }

    public init(id: String, displayId: Int64, cartId: String, email: String, shippingAddress: ShippingAddress, status: String,
                currency: String, items: [OrderLineWire], subtotal: Money, shippingTotal: Money, taxTotal: Money, total: Money,
                taxIncluded: Bool = false, shippingMethod: String? = nil, payment: OrderPaymentWire? = nil, refundedAmount: Money? = nil,
                refunds: [RefundWire] = [], flag: String? = nil, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.displayId = displayId
        self.cartId = cartId
        self.email = email
        self.shippingAddress = shippingAddress
        self.status = status
        self.currency = currency
        self.items = items
        self.subtotal = subtotal
        self.shippingTotal = shippingTotal
        self.taxTotal = taxTotal
        self.total = total
        self.taxIncluded = taxIncluded
        self.shippingMethod = shippingMethod
        self.payment = payment
        self.refundedAmount = refundedAmount ?? .zero(total.currency)
        self.refunds = refunds
        self.flag = flag
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.discountTotal = .zero(total.currency)
    }

    /// Fields added since the first version default, so an edge reads a cell a release behind.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        displayId = try c.decode(Int64.self, forKey: .displayId)
        cartId = try c.decode(String.self, forKey: .cartId)
        email = try c.decode(String.self, forKey: .email)
        shippingAddress = try c.decode(ShippingAddress.self, forKey: .shippingAddress)
        status = try c.decode(String.self, forKey: .status)
        currency = try c.decode(String.self, forKey: .currency)
        items = try c.decode([OrderLineWire].self, forKey: .items)
        subtotal = try c.decode(Money.self, forKey: .subtotal)
        shippingTotal = try c.decode(Money.self, forKey: .shippingTotal)
        taxTotal = try c.decode(Money.self, forKey: .taxTotal)
        total = try c.decode(Money.self, forKey: .total)
        taxIncluded = try c.decodeIfPresent(Bool.self, forKey: .taxIncluded) ?? false
        shippingMethod = try c.decodeIfPresent(String.self, forKey: .shippingMethod)
        payment = try c.decodeIfPresent(OrderPaymentWire.self, forKey: .payment)
        refundedAmount = try c.decodeIfPresent(Money.self, forKey: .refundedAmount) ?? .zero(total.currency)
        refunds = try c.decodeIfPresent([RefundWire].self, forKey: .refunds) ?? []
        flag = try c.decodeIfPresent(String.self, forKey: .flag)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
        discountTotal = try c.decodeIfPresent(Money.self, forKey: .discountTotal) ?? .zero(total.currency)
        discounts = try c.decodeIfPresent([DiscountWire].self, forKey: .discounts) ?? []
    }
}

public struct OrderLineWire: Codable, Sendable, Equatable {
    public let id: String
    public let variantId: String?
    public let productTitle: String
    public let variantTitle: String
    public let sku: String?
    public let quantity: Int
    public let unitPrice: Money
    public let total: Money
    /// The tax in (or on) this line, rounded half up.
    public let tax: Money?
    /// This line's share of the order's discounts (`total` is before it).
    public var discount: Money?

    enum CodingKeys: String, CodingKey { case id, variantId = "variant_id", productTitle = "product_title", variantTitle = "variant_title", sku, quantity, unitPrice = "unit_price", total, tax, discount }

    public init(id: String, variantId: String?, productTitle: String, variantTitle: String, sku: String?, quantity: Int,
                unitPrice: Money, total: Money, tax: Money? = nil) {
        self.tax = tax
        self.id = id
        self.variantId = variantId
        self.productTitle = productTitle
        self.variantTitle = variantTitle
        self.sku = sku
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.total = total
    }
}

/// A discount on a cart or an order: its title as the shopper sees it, what it took, and the
/// line it was for (none: the order).
public struct DiscountWire: Codable, Sendable, Equatable {
    public let title: String
    public let amount: Money
    public let lineId: String?

    enum CodingKeys: String, CodingKey { case title, amount, lineId = "line_id" }

    public init(title: String, amount: Money, lineId: String? = nil) {
        self.title = title
        self.amount = amount
        self.lineId = lineId
    }
}
