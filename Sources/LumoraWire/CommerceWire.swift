import Foundation
import LumoraCore

/// A cart as the store API sends it (`{"cart": {…}}`).
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
    public let completedAt: Date?
    public let createdAt: Date
    public let updatedAt: Date

    enum CodingKeys: String, CodingKey { case id, currency, email, items, itemCount = "item_count", subtotal, shippingTotal = "shipping_total", taxTotal = "tax_total", total, completedAt = "completed_at", createdAt = "created_at", updatedAt = "updated_at" }

    public init(id: String, currency: String, email: String?, items: [LineItemWire], itemCount: Int, subtotal: Money,
                shippingTotal: Money, taxTotal: Money, total: Money, completedAt: Date?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.currency = currency
        self.email = email
        self.items = items
        self.itemCount = itemCount
        self.subtotal = subtotal
        self.shippingTotal = shippingTotal
        self.taxTotal = taxTotal
        self.total = total
        self.completedAt = completedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
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
    public let createdAt: Date
    public let updatedAt: Date

    enum CodingKeys: String, CodingKey { case id, displayId = "display_id", cartId = "cart_id", email, shippingAddress = "shipping_address", status, currency, items, subtotal, shippingTotal = "shipping_total", taxTotal = "tax_total", total, createdAt = "created_at", updatedAt = "updated_at" }

    public init(id: String, displayId: Int64, cartId: String, email: String, shippingAddress: ShippingAddress, status: String,
                currency: String, items: [OrderLineWire], subtotal: Money, shippingTotal: Money, taxTotal: Money, total: Money,
                createdAt: Date, updatedAt: Date) {
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
        self.createdAt = createdAt
        self.updatedAt = updatedAt
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

    enum CodingKeys: String, CodingKey { case id, variantId = "variant_id", productTitle = "product_title", variantTitle = "variant_title", sku, quantity, unitPrice = "unit_price", total }

    public init(id: String, variantId: String?, productTitle: String, variantTitle: String, sku: String?, quantity: Int,
                unitPrice: Money, total: Money) {
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
