import Foundation
import LumoraCore

struct ProductWire: Encodable, Sendable {
    let id: String
    let handle: String
    let title: String
    let description: String
    let status: String
    let collection: CollectionWire?
    let images: [String]
    let thumbnail: String?
    var variants: [VariantWire]
    let createdAt: Date
    let updatedAt: Date

    enum CodingKeys: String, CodingKey { case id, handle, title, description, status, collection, images, thumbnail, variants, createdAt = "created_at", updatedAt = "updated_at" }
}

struct VariantWire: Encodable, Sendable {
    let id: String
    let title: String
    let sku: String?
    let price: Money
    /// Units that can still be bought (stocked − reserved).
    let available: Int64
    let inStock: Bool
    /// Admin API only.
    let stocked: Int64?
    let reserved: Int64?

    enum CodingKeys: String, CodingKey { case id, title, sku, price, available, inStock = "in_stock", stocked, reserved }
}

struct CollectionWire: Encodable, Sendable {
    let id: String
    let handle: String
    let title: String
}

struct SettingsWire: Encodable, Sendable {
    let name: String
    let description: String
    let logoUrl: String?
    let primaryColor: String
    let accentColor: String
    let currency: String
    let catalogVersion: Int64

    enum CodingKeys: String, CodingKey { case name, description, logoUrl = "logo_url", primaryColor = "primary_color", accentColor = "accent_color", currency, catalogVersion = "catalog_version" }
}

struct InventoryWire: Encodable {
    let variantId: String
    let stocked: Int64
    let reserved: Int64
    let available: Int64

    enum CodingKeys: String, CodingKey { case variantId = "variant_id", stocked, reserved, available }
}
