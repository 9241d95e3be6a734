import LumoraCore

struct CreateProductRequest: Decodable {
    var title: String
    var handle: String
    var description: String?
    var status: String?
    var collection: String?
    var images: [String]?
    var variants: [CreateVariantRequest]
}

struct CreateVariantRequest: Decodable {
    var title: String
    var sku: String?
    var price: Money
    var stocked: Int64?
}

/// Absent fields stay as they are; `"collection": null` takes the product out of its collection.
struct UpdateProductRequest: Decodable {
    var title: String?
    var handle: String?
    var description: String?
    var status: String?
    var collection: Field<String>
    var images: [String]?

    private enum CodingKeys: String, CodingKey { case title, handle, description, status, collection, images }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        title = try container.decodeIfPresent(String.self, forKey: .title)
        handle = try container.decodeIfPresent(String.self, forKey: .handle)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        status = try container.decodeIfPresent(String.self, forKey: .status)
        collection = try Field(container, .collection)
        images = try container.decodeIfPresent([String].self, forKey: .images)
    }
}

struct UpdateVariantRequest: Decodable {
    var title: String?
    var sku: String?
    var price: Money?
}

struct CreateCollectionRequest: Decodable {
    var title: String
    var handle: String
}

struct AdjustInventoryRequest: Decodable {
    var adjust: Int64
}

struct AddLineItemRequest: Decodable {
    var variantId: String
    var quantity: Int

    enum CodingKeys: String, CodingKey { case variantId = "variant_id", quantity }
}

struct UpdateLineItemRequest: Decodable {
    var quantity: Int
}

struct CompleteCartRequest: Decodable {
    var email: String
    var shippingAddress: ShippingAddress

    enum CodingKeys: String, CodingKey { case email, shippingAddress = "shipping_address" }
}

/// Absent fields stay as they are; `"logo_url": null` removes the logo.
struct UpdateSettingsRequest: Decodable {
    var name: String?
    var description: String?
    var logoUrl: Field<String>
    var primaryColor: String?
    var accentColor: String?

    private enum CodingKeys: String, CodingKey { case name, description, logoUrl = "logo_url", primaryColor = "primary_color", accentColor = "accent_color" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        logoUrl = try Field(container, .logoUrl)
        primaryColor = try container.decodeIfPresent(String.self, forKey: .primaryColor)
        accentColor = try container.decodeIfPresent(String.self, forKey: .accentColor)
    }
}

/// A field of a partial update: left out, set to null, or set to a value.
enum Field<Value: Decodable> {
    case absent
    case null
    case value(Value)

    init<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws {
        if !container.contains(key) {
            self = .absent
        } else if try container.decodeNil(forKey: key) {
            self = .null
        } else {
            self = .value(try container.decode(Value.self, forKey: key))
        }
    }
}

/// The rules for what merchants and shoppers send, each failure a 400 naming the field.
enum Validate {
    static func title(_ value: String, field: String = "title") throws(LumoraError) -> String {
        let trimmed = value.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw .badRequest("invalid_\(field)", "\(field) must be 1 to 200 characters")
        }
        return trimmed
    }

    static func description(_ value: String) throws(LumoraError) -> String {
        guard value.count <= 10_000 else { throw .badRequest("invalid_description", "description must be at most 10000 characters") }
        return value
    }

    /// `^[a-z0-9]+(-[a-z0-9]+)*$`, at most 100 characters: it becomes part of a URL.
    static func handle(_ value: String) throws(LumoraError) -> String {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard value.count <= 100, !parts.isEmpty,
              parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) } }) else {
            throw .badRequest("invalid_handle", "handle must be lowercase letters and digits separated by single '-', at most 100 characters")
        }
        return value
    }

    static func status(_ value: String) throws(LumoraError) -> String {
        guard value == "draft" || value == "published" else {
            throw .badRequest("invalid_status", "status must be 'draft' or 'published'")
        }
        return value
    }

    static func sku(_ value: String?) throws(LumoraError) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { return nil }
        guard trimmed.count <= 64 else { throw .badRequest("invalid_sku", "sku must be at most 64 characters") }
        return trimmed
    }

    /// A price in the store's currency, from 0 to 10^12 minor units.
    static func price(_ money: Money, storeCurrency: CurrencyCode) throws(LumoraError) -> Money {
        guard money.currency == storeCurrency else {
            throw LumoraError(.unprocessable, code: "currency_mismatch", message: "prices must be in the store's currency, \(storeCurrency.code)")
        }
        guard money.amount >= 0, money.amount <= 1_000_000_000_000 else {
            throw .badRequest("invalid_price", "price.amount must be from 0 to 1000000000000 minor units")
        }
        return money
    }

    static func stocked(_ value: Int64) throws(LumoraError) -> Int64 {
        guard value >= 0, value <= 1_000_000_000 else { throw .badRequest("invalid_stock", "stocked must be from 0 to 1000000000") }
        return value
    }

    static func quantity(_ value: Int) throws(LumoraError) -> Int {
        guard value >= 1, value <= 1000 else { throw .badRequest("invalid_quantity", "quantity must be from 1 to 1000") }
        return value
    }

    /// Image and logo URLs reach HTML attributes: only `https:` URLs or paths on the store's
    /// own site (`/…`, not `//…`), without spaces, quotes or angle brackets.
    static func url(_ value: String, field: String) throws(LumoraError) -> String {
        let trimmed = value.trimmingASCIIWhitespace()
        let lower = trimmed.lowercased()
        let forbidden: Set<Character> = [" ", "\"", "'", "<", ">", "`", "\\", "\n", "\r", "\t"]
        guard trimmed.count <= 2048, !trimmed.contains(where: { forbidden.contains($0) }),
              (lower.hasPrefix("https://") && trimmed.count > 8) || (trimmed.hasPrefix("/") && !trimmed.hasPrefix("//")) else {
            throw .badRequest("invalid_url", "\(field) must be an https: URL or a path on the store's site")
        }
        return trimmed
    }

    static func images(_ values: [String]) throws(LumoraError) -> [String] {
        guard values.count <= 10 else { throw .badRequest("invalid_images", "at most 10 images") }
        var result: [String] = []
        for (index, value) in values.enumerated() { result.append(try url(value, field: "images[\(index)]")) }
        return result
    }

    /// A theme colour that carries white text (the header, buttons): WCAG AA's 4.5:1 or a 422
    /// that says what the contrast is.
    static func themeColor(_ value: String, field: String) throws(LumoraError) -> String {
        let color = try color(value, field: field)
        let contrast = ColorContrast.withWhite(color) ?? 0
        guard contrast >= ColorContrast.minimumWithWhite else {
            let shown = (contrast * 10).rounded(.down) / 10
            throw LumoraError(.unprocessable, code: "insufficient_contrast",
                              message: "\(field) \(color) has a contrast of \(shown):1 with white text; WCAG AA asks for 4.5:1 — choose a darker colour")
        }
        return color
    }

    static func color(_ value: String, field: String) throws(LumoraError) -> String {
        let bytes = Array(value.utf8)
        guard bytes.count == 7, bytes[0] == UInt8(ascii: "#"),
              bytes.dropFirst().allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }) else {
            throw .badRequest("invalid_color", "\(field) must be a colour like #1a2b3c")
        }
        return value.lowercased()
    }
}
