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
}

struct InventoryWire: Encodable {
    let variantId: String
    let stocked: Int64
    let reserved: Int64
    let available: Int64
}
