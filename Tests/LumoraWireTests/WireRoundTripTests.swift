import Foundation
import LumoraCore
import LumoraHTTP
import LumoraWire
import Testing

/// The shared wire models: what the cell encodes, the edge decodes back the same, under the
/// keys the API has always used.
@Suite struct WireRoundTripTests {
    static let usd = CurrencyCode.usd
    static func money(_ amount: Int64) -> Money { Money(amount: amount, currency: usd) }
    /// Whole seconds: ISO 8601 on the wire carries no fractions.
    static let created = Date(timeIntervalSince1970: 1_700_000_000)
    static let updated = Date(timeIntervalSince1970: 1_700_000_600)

    static let address = ShippingAddress(firstName: "Wile", lastName: "Coyote", address1: "1 Mesa Road", address2: "Cave 3",
                                         city: "Desert", postalCode: "85001", countryCode: "US", province: "AZ", phone: "555-0100")

    static let product = ProductWire(
        id: "prod_1", handle: "anvil", title: "Anvil", description: "Heavy.", status: "published",
        collection: CollectionWire(id: "pcol_2", handle: "tools", title: "Tools"),
        images: ["https://cdn.example/anvil.png"], thumbnail: "https://cdn.example/anvil.png",
        variants: [VariantWire(id: "variant_3", title: "Default", sku: "a-1", price: money(1500), available: 2, inStock: true),
                   VariantWire(id: "variant_4", title: "Big", sku: nil, price: money(2500), available: 0, inStock: false,
                               stocked: 5, reserved: 5)],
        createdAt: created, updatedAt: updated)

    static let cart = CartWire(
        id: "cart_abc", currency: "USD", email: nil,
        items: [LineItemWire(id: "item_5", variantId: "variant_3", productId: "prod_1", productTitle: "Anvil", productHandle: "anvil",
                             variantTitle: "Default", sku: "a-1", thumbnail: nil, quantity: 2, unitPrice: money(1500), total: money(3000),
                             available: 2)],
        itemCount: 2, subtotal: money(3000), shippingTotal: money(0), taxTotal: money(0), total: money(3000),
        completedAt: nil, createdAt: created, updatedAt: updated)

    static let order = OrderWire(
        id: "order_6", displayId: 1001, cartId: "cart_abc", email: "wile@example.com", shippingAddress: address, status: "pending",
        currency: "USD",
        items: [OrderLineWire(id: "oline_7", variantId: "variant_3", productTitle: "Anvil", variantTitle: "Default", sku: "a-1",
                              quantity: 2, unitPrice: money(1500), total: money(3000))],
        subtotal: money(3000), shippingTotal: money(0), taxTotal: money(0), total: money(3000), createdAt: created, updatedAt: updated)

    static let settings = SettingsWire(name: "Acme", description: "Tools.", logoUrl: "https://cdn.example/logo.png",
                                       primaryColor: "#aa0000", accentColor: "#2563eb", currency: "USD", catalogVersion: 7)

    func roundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let data = try JSONWire.encoder.encode(value)
        let back = try JSONWire.decoder.decode(T.self, from: data)
        #expect(back == value, "\(T.self) did not survive \(String(decoding: data, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    func object(_ value: some Encodable) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: JSONWire.encoder.encode(value)) as? [String: Any])
    }

    @Test func responsesRoundTrip() throws {
        try roundTrip(Self.product)
        try roundTrip(Self.cart)
        try roundTrip(Self.order)
        try roundTrip(Self.settings)
        try roundTrip(InventoryWire(variantId: "variant_3", stocked: 10, reserved: 2, available: 8))
        try roundTrip(Deleted(id: "prod_1", object: "product"))
        try roundTrip(Single(key: "product", value: Self.product))
        try roundTrip(Single(key: "cart", value: Self.cart))
        try roundTrip(Single(key: "order", value: Self.order))
        try roundTrip(Single(key: "settings", value: Self.settings))
        try roundTrip(Page(key: "products", items: [Self.product], count: 41, limit: 20, offset: 20))
        try roundTrip(Page(key: "collections", items: [CollectionWire(id: "pcol_2", handle: "tools", title: "Tools")], count: 1, limit: 1, offset: 0))
        try roundTrip(Page(key: "orders", items: [Self.order], count: 1, limit: 20, offset: 0))
    }

    @Test func requestBodiesRoundTrip() throws {
        try roundTrip(CreateProductRequest(title: "Anvil", handle: "anvil", description: "Heavy.", status: "published", collection: "tools",
                                           images: ["https://cdn.example/a.png"],
                                           variants: [CreateVariantRequest(title: "Default", sku: "a-1", price: Self.money(1500), stocked: 3)]))
        try roundTrip(CreateProductRequest(title: "Anvil", handle: "anvil", variants: [CreateVariantRequest(title: "D", price: Self.money(1))]))
        try roundTrip(CreateVariantRequest(title: "Big", price: Self.money(2500)))
        try roundTrip(UpdateProductRequest(title: "Anvil II", collection: .value("tools")))
        try roundTrip(UpdateProductRequest(collection: .null))
        try roundTrip(UpdateProductRequest())
        try roundTrip(UpdateVariantRequest(sku: "b-2", price: Self.money(99)))
        try roundTrip(CreateCollectionRequest(title: "Tools", handle: "tools"))
        try roundTrip(AdjustInventoryRequest(adjust: -3))
        try roundTrip(AddLineItemRequest(variantId: "variant_3", quantity: 2))
        try roundTrip(UpdateLineItemRequest(quantity: 4))
        try roundTrip(CompleteCartRequest(email: "wile@example.com", shippingAddress: Self.address))
        try roundTrip(CompleteCartRequest(email: "wile@example.com", shippingAddress: ShippingAddress(
            firstName: "W", lastName: "C", address1: "1 Road", city: "Desert", postalCode: "1", countryCode: "US")))
        try roundTrip(UpdateSettingsRequest(name: "Acme", logoUrl: .value("https://cdn.example/l.png"), primaryColor: "#aa0000"))
        try roundTrip(UpdateSettingsRequest(logoUrl: .null))
        try roundTrip(UpdateSettingsRequest(logoMedia: .value("med_3")))
        try roundTrip(UpdateSettingsRequest(logoUrl: .null, logoMedia: .null))
        try roundTrip(UpdateProductRequest(media: [MediaAttachment(id: "med_1", alt: "Side"), MediaAttachment(id: "med_2")]))
        try roundTrip(UpdateSettingsRequest())
    }

    @Test func productKeys() throws {
        let product = try object(Self.product)
        #expect(Set(product.keys) == ["id", "handle", "title", "description", "status", "collection", "images", "media", "thumbnail", "variants",
                                      "created_at", "updated_at"])
        let variants = try #require(product["variants"] as? [[String: Any]])
        // A store-API variant carries no stock figures; an admin one does.
        #expect(Set(variants[0].keys) == ["id", "title", "sku", "price", "available", "in_stock"])
        #expect(Set(variants[1].keys) == ["id", "title", "price", "available", "in_stock", "stocked", "reserved"])
        #expect(variants[0]["in_stock"] as? Bool == true)
        #expect(product["created_at"] as? String == "2023-11-14T22:13:20Z")
        let settings = try object(Self.settings)
        #expect(Set(settings.keys) == ["name", "description", "logo_url", "primary_color", "accent_color", "currency", "catalog_version"])
    }

    @Test func orderKeys() throws {
        let order = try object(Self.order)
        #expect(Set(order.keys) == ["id", "display_id", "cart_id", "email", "shipping_address", "status", "currency", "items", "subtotal",
                                    "discount_total", "discounts", "shipping_total", "tax_total", "total", "tax_included", "refunded_amount",
                                    "refunds", "created_at", "updated_at"])
        #expect(order["display_id"] as? Int == 1001)
        let address = try #require(order["shipping_address"] as? [String: Any])
        #expect(Set(address.keys) == ["first_name", "last_name", "address_1", "address_2", "city", "postal_code", "country_code",
                                      "province", "phone"])
        #expect(address["address_1"] as? String == "1 Mesa Road")
        let line = try #require((order["items"] as? [[String: Any]])?.first)
        #expect(Set(line.keys) == ["id", "variant_id", "product_title", "variant_title", "sku", "quantity", "unit_price", "total"])
        let cart = try object(Self.cart)
        #expect(Set(cart.keys) == ["id", "currency", "items", "item_count", "subtotal", "discount_total", "discounts", "shipping_total",
                                   "tax_total", "total", "tax_included", "shipping_required", "created_at", "updated_at"])
    }

    @Test func envelopesKeepTheirNames() throws {
        let single = try object(Single(key: "product", value: Self.product))
        #expect(Set(single.keys) == ["product"])
        let page = try object(Page(key: "products", items: [Self.product], count: 1, limit: 20, offset: 0))
        #expect(Set(page.keys) == ["products", "count", "limit", "offset"])
        #expect(try object(Deleted(id: "prod_1", object: "product"))["deleted"] as? Bool == true)

        let decoded = try JSONWire.decoder.decode(Page<CollectionWire>.self, from: Data(#"{"collections":[{"id":"pcol_1","handle":"a","title":"A"}],"count":1,"limit":1,"offset":0}"#.utf8))
        #expect(decoded.key == "collections" && decoded.items.map(\.handle) == ["a"] && decoded.count == 1)
        let wrapped = try JSONWire.decoder.decode(Single<CollectionWire>.self, from: Data(#"{"collection":{"id":"pcol_1","handle":"a","title":"A"}}"#.utf8))
        #expect(wrapped.key == "collection" && wrapped.value.title == "A")
        #expect(throws: DecodingError.self) {
            try JSONWire.decoder.decode(Single<CollectionWire>.self, from: Data(#"{}"#.utf8))
        }
    }

    @Test func partialFieldsOmitAbsentAndWriteNull() throws {
        let absent = try object(UpdateSettingsRequest(name: "Acme"))
        #expect(Set(absent.keys) == ["name"])
        let null = try object(UpdateSettingsRequest(logoUrl: .null))
        #expect(Set(null.keys) == ["logo_url"] && null["logo_url"] is NSNull)
        #expect(String(decoding: try JSONWire.encoder.encode(UpdateProductRequest(collection: .null)), as: UTF8.self) == #"{"collection":null}"#)
        #expect(String(decoding: try JSONWire.encoder.encode(UpdateProductRequest()), as: UTF8.self) == "{}")
        #expect(try object(UpdateProductRequest(collection: .value("tools")))["collection"] as? String == "tools")

        let decodedNull = try JSONWire.decoder.decode(UpdateSettingsRequest.self, from: Data(#"{"logo_url":null}"#.utf8))
        #expect(decodedNull.logoUrl == .null)
        let decodedAbsent = try JSONWire.decoder.decode(UpdateSettingsRequest.self, from: Data(#"{"name":"A"}"#.utf8))
        #expect(decodedAbsent.logoUrl == .absent)
    }

    /// The edge's storefront bodies hold what it sent before the models were shared (the
    /// encoder promises no key order, so keys and values are compared, not bytes).
    @Test func storefrontBodies() throws {
        let line = try object(AddLineItemRequest(variantId: "variant_3", quantity: 2))
        #expect(Set(line.keys) == ["variant_id", "quantity"] && line["variant_id"] as? String == "variant_3" && line["quantity"] as? Int == 2)
        let complete = CompleteCartRequest(email: "w@example.com", shippingAddress: ShippingAddress(
            firstName: "W", lastName: "C", address1: "1 Road", city: "Desert", postalCode: "1", countryCode: "US"))
        let address = try #require(try object(complete)["shipping_address"] as? [String: Any])
        #expect(Set(address.keys) == ["first_name", "last_name", "address_1", "city", "postal_code", "country_code"])
    }
}
