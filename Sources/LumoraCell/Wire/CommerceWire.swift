import Foundation
import LumoraCore

struct CartWire: Encodable, Sendable {
    let id: String
    let currency: String
    let email: String?
    let items: [LineItemWire]
    let itemCount: Int
    let subtotal: Money
    let shippingTotal: Money
    let taxTotal: Money
    let total: Money
    let completedAt: Date?
    let createdAt: Date
    let updatedAt: Date

    enum CodingKeys: String, CodingKey { case id, currency, email, items, itemCount = "item_count", subtotal, shippingTotal = "shipping_total", taxTotal = "tax_total", total, completedAt = "completed_at", createdAt = "created_at", updatedAt = "updated_at" }
}

struct LineItemWire: Encodable, Sendable {
    let id: String
    let variantId: String
    let productId: String
    let productTitle: String
    let productHandle: String
    let variantTitle: String
    let sku: String?
    let thumbnail: String?
    let quantity: Int
    let unitPrice: Money
    let total: Money
    let available: Int64

    enum CodingKeys: String, CodingKey { case id, variantId = "variant_id", productId = "product_id", productTitle = "product_title", productHandle = "product_handle", variantTitle = "variant_title", sku, thumbnail, quantity, unitPrice = "unit_price", total, available }
}

struct OrderWire: Encodable, Sendable {
    let id: String
    let displayId: Int64
    let cartId: String
    let email: String
    let shippingAddress: ShippingAddress
    let status: String
    let currency: String
    let items: [OrderLineWire]
    let subtotal: Money
    let shippingTotal: Money
    let taxTotal: Money
    let total: Money
    let createdAt: Date
    let updatedAt: Date

    enum CodingKeys: String, CodingKey { case id, displayId = "display_id", cartId = "cart_id", email, shippingAddress = "shipping_address", status, currency, items, subtotal, shippingTotal = "shipping_total", taxTotal = "tax_total", total, createdAt = "created_at", updatedAt = "updated_at" }
}

struct OrderLineWire: Encodable, Sendable {
    let id: String
    let variantId: String?
    let productTitle: String
    let variantTitle: String
    let sku: String?
    let quantity: Int
    let unitPrice: Money
    let total: Money

    enum CodingKeys: String, CodingKey { case id, variantId = "variant_id", productTitle = "product_title", variantTitle = "variant_title", sku, quantity, unitPrice = "unit_price", total }
}

/// Where an order ships. Field names follow Medusa (`address_1`, `country_code`).
struct ShippingAddress: Codable, Sendable, Equatable {
    var firstName: String
    var lastName: String
    var address1: String
    var address2: String?
    var city: String
    var postalCode: String
    var countryCode: String
    var province: String?
    var phone: String?

    enum CodingKeys: String, CodingKey {
        case firstName = "first_name", lastName = "last_name", address1 = "address_1", address2 = "address_2", city,
             postalCode = "postal_code", countryCode = "country_code", province, phone
    }

    /// Every field in a fixed order (for hashing a request).
    var canonicalFields: [String] {
        [firstName, lastName, address1, address2 ?? "", city, postalCode, countryCode, province ?? "", phone ?? ""]
    }

    /// Trims every field and checks lengths and the country code.
    func validated() throws(LumoraError) -> ShippingAddress {
        func field(_ value: String, _ name: String, required: Bool = true) throws(LumoraError) -> String {
            let trimmed = value.trimmingASCIIWhitespace()
            guard !required || !trimmed.isEmpty else {
                throw LumoraError.badRequest("invalid_address", "shipping_address.\(name) is required")
            }
            guard trimmed.count <= 200 else {
                throw LumoraError.badRequest("invalid_address", "shipping_address.\(name) is longer than 200 characters")
            }
            return trimmed
        }
        var copy = self
        copy.firstName = try field(firstName, "first_name")
        copy.lastName = try field(lastName, "last_name")
        copy.address1 = try field(address1, "address_1")
        copy.address2 = try address2.map { value throws(LumoraError) in try field(value, "address_2", required: false) }
        copy.city = try field(city, "city")
        copy.postalCode = try field(postalCode, "postal_code")
        copy.province = try province.map { value throws(LumoraError) in try field(value, "province", required: false) }
        copy.phone = try phone.map { value throws(LumoraError) in try field(value, "phone", required: false) }
        let country = countryCode.trimmingASCIIWhitespace().uppercased()
        guard country.count == 2, country.allSatisfy({ $0 >= "A" && $0 <= "Z" }) else {
            throw LumoraError.badRequest("invalid_address", "shipping_address.country_code must be a two-letter ISO 3166 code")
        }
        copy.countryCode = country
        return copy
    }
}
