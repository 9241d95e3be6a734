import Foundation
import LumoraCore
import LumoraDatabase
import LumoraWire
import PostgresNIO

/// A variant as `CellSQL.productColumns` nests it in its product's row:
/// `ROW(id, title, sku, price_amount, currency, stocked, reserved, weight_grams)`.
struct VariantRecord: PostgresRecordDecodable, Sendable {
    let id: Int64
    let title: String
    let sku: String?
    let amount: Int64
    let currency: String
    let stocked: Int64
    let reserved: Int64
    let weightGrams: Int64?

    init<JSONDecoder: PostgresJSONDecoder>(record: inout PostgresRecordFields<JSONDecoder>) throws {
        id = try record.next()
        title = try record.next()
        sku = try record.next()
        amount = try record.next()
        currency = try record.next()
        stocked = try record.next()
        reserved = try record.next()
        weightGrams = try record.next()
    }

    /// What a shopper sees; a merchant also sees the stock counts behind `available`.
    func wire(admin: Bool) throws -> VariantWire {
        let available = max(0, stocked - reserved)
        return VariantWire(
            id: ResourceID.variant.format(id), title: title, sku: sku,
            price: Money(amount: amount, currency: try CurrencyCode(validating: currency)),
            available: available, inStock: available > 0,
            stocked: admin ? stocked : nil, reserved: admin ? reserved : nil, weightGrams: weightGrams)
    }
}

/// A picture of a product as `CellSQL.productColumns` nests it: `ROW(alt, <media columns>)`.
struct ProductMediaRecord: PostgresRecordDecodable, Sendable {
    let alt: String
    let media: MediaRow

    init<JSONDecoder: PostgresJSONDecoder>(record: inout PostgresRecordFields<JSONDecoder>) throws {
        alt = try record.next()
        media = MediaRow(id: try record.next(), hash: try record.next(), source: try record.next(), widths: try record.next(),
                         heights: try record.next(), formats: try record.next(), byteCount: try record.next(), createdAt: try record.next())
    }
}
