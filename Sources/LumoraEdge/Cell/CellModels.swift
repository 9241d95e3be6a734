import Foundation
import LumoraCore

/// What the edge reads from a cell's store API (snake_case on the wire).
struct StoreSettings: Decodable, Sendable {
    let name: String
    let description: String
    let logoUrl: String?
    let primaryColor: String
    let accentColor: String
    let currency: String
}

struct Product: Decodable, Sendable {
    let id: String
    let handle: String
    let title: String
    let description: String
    let collection: ProductCollection?
    let images: [String]
    let thumbnail: String?
    let variants: [Variant]
}

struct Variant: Decodable, Sendable {
    let id: String
    let title: String
    let sku: String?
    let price: Money
    let available: Int64
    let inStock: Bool
}

struct ProductCollection: Decodable, Sendable {
    let id: String
    let handle: String
    let title: String
}

struct ProductPage: Decodable, Sendable {
    let products: [Product]
    let count: Int
    let limit: Int
    let offset: Int
}

struct CollectionList: Decodable, Sendable {
    let collections: [ProductCollection]
}

struct Cart: Decodable, Sendable {
    let id: String
    let currency: String
    let items: [LineItem]
    let itemCount: Int
    let subtotal: Money
    let total: Money
    let completedAt: Date?
}

struct LineItem: Decodable, Sendable {
    let id: String
    let variantId: String
    let productTitle: String
    let productHandle: String
    let variantTitle: String
    let thumbnail: String?
    let quantity: Int
    let unitPrice: Money
    let total: Money
    let available: Int64
}

struct Order: Decodable, Sendable {
    let id: String
    let displayId: Int64
    let email: String
    let items: [OrderLine]
    let total: Money
    let shippingAddress: Address
}

struct OrderLine: Decodable, Sendable {
    let productTitle: String
    let variantTitle: String
    let quantity: Int
    let total: Money
}

struct Address: Codable, Sendable {
    let firstName: String
    let lastName: String
    let address1: String
    let city: String
    let postalCode: String
    let countryCode: String
}

struct Wrapped<Value: Decodable & Sendable>: Decodable, Sendable {
    let value: Value

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        guard let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "empty envelope"))
        }
        value = try container.decode(Value.self, forKey: key)
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
