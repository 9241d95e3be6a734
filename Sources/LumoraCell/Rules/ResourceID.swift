import LumoraCore

/// Public ids are strings with a type prefix (`prod_12`, `variant_7`), Medusa-style; the
/// number behind them is the row's id in the store's schema.
enum ResourceID: String {
    case product = "prod"
    case variant = "variant"
    case collection = "pcol"
    case lineItem = "item"
    case order = "order"
    case media = "med"
    case shippingZone = "szone"
    case shippingRate = "ship"
    case taxRate = "txr"
    case payment = "pay"
    case refund = "refund"

    func format(_ number: Int64) -> String { "\(rawValue)_\(number)" }

    /// The row id, or a 404 naming what was not found: a malformed id finds nothing.
    func parse(_ raw: String) throws(LumoraError) -> Int64 {
        let prefix = rawValue + "_"
        guard raw.hasPrefix(prefix), let number = Int64(raw.dropFirst(prefix.count)), number > 0 else {
            throw notFound(raw)
        }
        return number
    }

    func notFound(_ raw: String) -> LumoraError {
        let shown = String(raw.prefix(60))
        switch self {
        case .product: return .notFound("product_not_found", "no product '\(shown)'")
        case .variant: return .notFound("variant_not_found", "no variant '\(shown)'")
        case .collection: return .notFound("collection_not_found", "no collection '\(shown)'")
        case .lineItem: return .notFound("line_item_not_found", "no line item '\(shown)' in this cart")
        case .order: return .notFound("order_not_found", "no order '\(shown)'")
        case .media: return .notFound("media_not_found", "no media '\(shown)'")
        case .shippingZone: return .notFound("shipping_zone_not_found", "no shipping zone '\(shown)'")
        case .shippingRate: return .notFound("shipping_option_not_found", "no shipping option '\(shown)'")
        case .taxRate: return .notFound("tax_rate_not_found", "no tax rate '\(shown)'")
        case .payment: return .notFound("payment_not_found", "no payment '\(shown)' for this order")
        case .refund: return .notFound("refund_not_found", "no refund '\(shown)'")
        }
    }
}
