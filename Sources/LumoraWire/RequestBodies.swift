import LumoraCore

/// What merchants send to create a product (admin API).
public struct CreateProductRequest: Codable, Sendable, Equatable {
    public var title: String
    public var handle: String
    public var description: String?
    public var status: String?
    public var collection: String?
    public var images: [String]?
    /// Uploaded pictures (`POST /admin/media`), in the order shown.
    public var media: [MediaAttachment]?
    public var variants: [CreateVariantRequest]

    public init(title: String, handle: String, description: String? = nil, status: String? = nil, collection: String? = nil,
                images: [String]? = nil, media: [MediaAttachment]? = nil, variants: [CreateVariantRequest]) {
        self.title = title
        self.handle = handle
        self.description = description
        self.status = status
        self.collection = collection
        self.images = images
        self.media = media
        self.variants = variants
    }
}

public struct CreateVariantRequest: Codable, Sendable, Equatable {
    public var title: String
    public var sku: String?
    public var price: Money
    public var stocked: Int64?
    public var weightGrams: Int64?

    enum CodingKeys: String, CodingKey { case title, sku, price, stocked, weightGrams = "weight_grams" }

    public init(title: String, sku: String? = nil, price: Money, stocked: Int64? = nil, weightGrams: Int64? = nil) {
        self.title = title
        self.sku = sku
        self.price = price
        self.stocked = stocked
        self.weightGrams = weightGrams
    }
}

/// Absent fields stay as they are; `"collection": null` takes the product out of its collection.
public struct UpdateProductRequest: Codable, Sendable, Equatable {
    public var title: String?
    public var handle: String?
    public var description: String?
    public var status: String?
    public var collection: Field<String>
    public var images: [String]?
    /// Replaces the product's uploaded pictures with these, in this order.
    public var media: [MediaAttachment]?

    private enum CodingKeys: String, CodingKey { case title, handle, description, status, collection, images, media }

    public init(title: String? = nil, handle: String? = nil, description: String? = nil, status: String? = nil,
                collection: Field<String> = .absent, images: [String]? = nil, media: [MediaAttachment]? = nil) {
        self.title = title
        self.handle = handle
        self.description = description
        self.status = status
        self.collection = collection
        self.images = images
        self.media = media
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        title = try container.decodeIfPresent(String.self, forKey: .title)
        handle = try container.decodeIfPresent(String.self, forKey: .handle)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        status = try container.decodeIfPresent(String.self, forKey: .status)
        collection = try Field(container, .collection)
        images = try container.decodeIfPresent([String].self, forKey: .images)
        media = try container.decodeIfPresent([MediaAttachment].self, forKey: .media)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(title, forKey: .title)
        try container.encodeIfPresent(handle, forKey: .handle)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encodeIfPresent(status, forKey: .status)
        try collection.encode(to: &container, forKey: .collection)
        try container.encodeIfPresent(images, forKey: .images)
        try container.encodeIfPresent(media, forKey: .media)
    }
}

public struct UpdateVariantRequest: Codable, Sendable, Equatable {
    public var title: String?
    public var sku: String?
    public var price: Money?
    public var weightGrams: Int64?

    enum CodingKeys: String, CodingKey { case title, sku, price, weightGrams = "weight_grams" }

    public init(title: String? = nil, sku: String? = nil, price: Money? = nil, weightGrams: Int64? = nil) {
        self.title = title
        self.sku = sku
        self.price = price
        self.weightGrams = weightGrams
    }
}

public struct CreateCollectionRequest: Codable, Sendable, Equatable {
    public var title: String
    public var handle: String

    public init(title: String, handle: String) {
        self.title = title
        self.handle = handle
    }
}

public struct AdjustInventoryRequest: Codable, Sendable, Equatable {
    public var adjust: Int64

    public init(adjust: Int64) {
        self.adjust = adjust
    }
}

public struct AddLineItemRequest: Codable, Sendable, Equatable {
    public var variantId: String
    public var quantity: Int

    enum CodingKeys: String, CodingKey { case variantId = "variant_id", quantity }

    public init(variantId: String, quantity: Int) {
        self.variantId = variantId
        self.quantity = quantity
    }
}

public struct UpdateLineItemRequest: Codable, Sendable, Equatable {
    public var quantity: Int

    public init(quantity: Int) {
        self.quantity = quantity
    }
}

/// Completes a cart. E-mail and address default to what the cart holds (`UpdateCartRequest`);
/// a store that ships needs `shipping_option_id` (or a rate already chosen on the cart).
public struct CompleteCartRequest: Codable, Sendable, Equatable {
    public var email: String?
    public var shippingAddress: ShippingAddress?
    public var shippingOptionId: String?
    /// Where a hosted payment page (Stripe Checkout) sends the shopper back: an absolute
    /// http(s) URL; `session_id` is added when they paid. Required for such providers.
    public var returnUrl: String?

    enum CodingKeys: String, CodingKey {
        case email, shippingAddress = "shipping_address", shippingOptionId = "shipping_option_id", returnUrl = "return_url"
    }

    public init(email: String? = nil, shippingAddress: ShippingAddress? = nil, shippingOptionId: String? = nil, returnUrl: String? = nil) {
        self.email = email
        self.shippingAddress = shippingAddress
        self.shippingOptionId = shippingOptionId
        self.returnUrl = returnUrl
    }
}

/// Absent fields stay as they are; `"logo_url": null` or `"logo_media": null` removes the logo.
/// A logo is one or the other: setting either replaces both.
public struct UpdateSettingsRequest: Codable, Sendable, Equatable {
    public var name: String?
    public var description: String?
    public var logoUrl: Field<String>
    /// An uploaded image's id (`med_…`) as the logo.
    public var logoMedia: Field<String>
    public var primaryColor: String?
    public var accentColor: String?
    /// Only while the store has no prices and no orders (409 `currency_locked` otherwise).
    public var currency: String?

    private enum CodingKeys: String, CodingKey {
        case name, description, logoUrl = "logo_url", logoMedia = "logo_media", primaryColor = "primary_color", accentColor = "accent_color", currency
    }

    public init(name: String? = nil, description: String? = nil, logoUrl: Field<String> = .absent, logoMedia: Field<String> = .absent,
                primaryColor: String? = nil, accentColor: String? = nil, currency: String? = nil) {
        self.name = name
        self.description = description
        self.logoUrl = logoUrl
        self.logoMedia = logoMedia
        self.primaryColor = primaryColor
        self.accentColor = accentColor
        self.currency = currency
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        logoUrl = try Field(container, .logoUrl)
        logoMedia = try Field(container, .logoMedia)
        primaryColor = try container.decodeIfPresent(String.self, forKey: .primaryColor)
        accentColor = try container.decodeIfPresent(String.self, forKey: .accentColor)
        currency = try container.decodeIfPresent(String.self, forKey: .currency)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(description, forKey: .description)
        try logoUrl.encode(to: &container, forKey: .logoUrl)
        try logoMedia.encode(to: &container, forKey: .logoMedia)
        try container.encodeIfPresent(primaryColor, forKey: .primaryColor)
        try container.encodeIfPresent(accentColor, forKey: .accentColor)
        try container.encodeIfPresent(currency, forKey: .currency)
    }
}
