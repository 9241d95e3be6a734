import Foundation
import LumoraCore

/// A product as the store and admin APIs send it (`{"product": {…}}`, or in a page of `products`).
public struct ProductWire: Codable, Sendable, Equatable {
    public let id: String
    public let handle: String
    public let title: String
    public let description: String
    public let status: String
    public let collection: CollectionWire?
    /// Picture URLs hosted elsewhere (given as `images`).
    public let images: [String]
    /// Pictures uploaded to the store, in order.
    public var media: [ProductMediaWire]
    /// The first picture, mid-sized: the first media's, else the first of `images`.
    public var thumbnail: String?
    public var variants: [VariantWire]
    public let createdAt: Date
    public let updatedAt: Date

    enum CodingKeys: String, CodingKey { case id, handle, title, description, status, collection, images, media, thumbnail, variants, createdAt = "created_at", updatedAt = "updated_at" }

    public init(id: String, handle: String, title: String, description: String, status: String, collection: CollectionWire?,
                images: [String], media: [ProductMediaWire] = [], thumbnail: String?, variants: [VariantWire], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.handle = handle
        self.title = title
        self.description = description
        self.status = status
        self.collection = collection
        self.images = images
        self.media = media
        self.thumbnail = thumbnail
        self.variants = variants
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct VariantWire: Codable, Sendable, Equatable {
    public let id: String
    public let title: String
    public let sku: String?
    public let price: Money
    /// Units that can still be bought (stocked − reserved).
    public let available: Int64
    public let inStock: Bool
    /// Admin API only.
    public let stocked: Int64?
    public let reserved: Int64?
    /// For shipping rates by weight.
    public let weightGrams: Int64?

    enum CodingKeys: String, CodingKey { case id, title, sku, price, available, inStock = "in_stock", stocked, reserved, weightGrams = "weight_grams" }

    public init(id: String, title: String, sku: String?, price: Money, available: Int64, inStock: Bool,
                stocked: Int64? = nil, reserved: Int64? = nil, weightGrams: Int64? = nil) {
        self.weightGrams = weightGrams
        self.id = id
        self.title = title
        self.sku = sku
        self.price = price
        self.available = available
        self.inStock = inStock
        self.stocked = stocked
        self.reserved = reserved
    }
}

public struct CollectionWire: Codable, Sendable, Equatable {
    public let id: String
    public let handle: String
    public let title: String

    public init(id: String, handle: String, title: String) {
        self.id = id
        self.handle = handle
        self.title = title
    }
}

/// The store's settings, the same in the store and admin APIs.
public struct SettingsWire: Codable, Sendable, Equatable {
    public let name: String
    public let description: String
    /// The logo's URL: the uploaded logo's, else one hosted elsewhere.
    public let logoUrl: String?
    /// The uploaded logo, if there is one.
    public let logo: MediaWire?
    public let primaryColor: String
    public let accentColor: String
    public let currency: String
    public let catalogVersion: Int64

    enum CodingKeys: String, CodingKey { case name, description, logoUrl = "logo_url", logo, primaryColor = "primary_color", accentColor = "accent_color", currency, catalogVersion = "catalog_version" }

    public init(name: String, description: String, logoUrl: String?, logo: MediaWire? = nil, primaryColor: String, accentColor: String, currency: String,
                catalogVersion: Int64) {
        self.name = name
        self.description = description
        self.logoUrl = logoUrl
        self.logo = logo
        self.primaryColor = primaryColor
        self.accentColor = accentColor
        self.currency = currency
        self.catalogVersion = catalogVersion
    }
}

/// A variant's stock after an adjustment (admin API).
public struct InventoryWire: Codable, Sendable, Equatable {
    public let variantId: String
    public let stocked: Int64
    public let reserved: Int64
    public let available: Int64

    enum CodingKeys: String, CodingKey { case variantId = "variant_id", stocked, reserved, available }

    public init(variantId: String, stocked: Int64, reserved: Int64, available: Int64) {
        self.variantId = variantId
        self.stocked = stocked
        self.reserved = reserved
        self.available = available
    }
}
