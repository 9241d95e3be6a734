import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraWire
import PostgresNIO

/// Products, variants, collections, inventory and settings of one store.
struct CatalogRepository: Sendable {
    let scope: TenantScope
    /// Asked whether a logo URL loads before it is saved.
    let images: any ImageURLChecker
    let logger: Logger

    struct ProductQuery: Sendable {
        var publishedOnly: Bool
        var search: String?
        var collection: String?
        var page: Pagination
    }

    // MARK: Reads

    func products(_ store: StoreSlug, _ query: ProductQuery, admin: Bool) async throws -> Page<ProductWire> {
        try await scope.withStore(store) { connection in
            let pattern = query.search.map(Self.likePattern)
            let (products, total) = try await productRows(
                CellSQL.products(publishedOnly: query.publishedOnly, search: pattern, collection: query.collection,
                                 limit: query.page.limit, offset: query.page.offset), admin: admin, on: connection)
            return Page(key: "products", items: products,
                        count: total, limit: query.page.limit, offset: query.page.offset)
        }
    }

    func product(_ store: StoreSlug, handle: String, admin: Bool) async throws -> ProductWire {
        try await scope.withStore(store) { connection in
            let (products, _) = try await productRows(CellSQL.product(handle: handle, publishedOnly: !admin), admin: admin, on: connection)
            guard let product = products.first else {
                throw LumoraError.notFound("product_not_found", "no product '\(handle.prefix(100))'")
            }
            return product
        }
    }

    func product(_ store: StoreSlug, id: Int64) async throws -> ProductWire {
        try await scope.withStore(store) { connection in try await product(id: id, on: connection) }
    }

    func collections(_ store: StoreSlug) async throws -> Page<CollectionWire> {
        try await scope.withStore(store) { connection in
            let rows = try await connection.query(CellSQL.collections, logger: logger).collect((Int64, String, String, Int).self)
            let items = rows.map { CollectionWire(id: ResourceID.collection.format($0.0), handle: $0.1, title: $0.2) }
            return Page(key: "collections", items: items, count: rows.first?.3 ?? 0, limit: items.count, offset: 0)
        }
    }

    func settings(_ store: StoreSlug) async throws -> SettingsWire {
        try await scope.withStore(store) { connection in try await settings(on: connection) }
    }

    // MARK: Writes (admin)

    func createProduct(_ store: StoreSlug, _ request: CreateProductRequest, currency: CurrencyCode) async throws -> ProductWire {
        let title = try Validate.title(request.title)
        let handle = try Validate.handle(request.handle)
        let description = try Validate.description(request.description ?? "")
        let status = try Validate.status(request.status ?? "draft")
        let images = try Validate.images(request.images ?? [])
        let attachments = try Validate.mediaAttachments(request.media ?? [])
        guard !request.variants.isEmpty, request.variants.count <= 100 else {
            throw LumoraError.badRequest("invalid_variants", "a product needs 1 to 100 variants")
        }
        let variants = try request.variants.map { variant throws(LumoraError) in
            (title: try Validate.title(variant.title, field: "variant_title"), sku: try Validate.sku(variant.sku),
             price: try Validate.price(variant.price, storeCurrency: currency), stocked: try Validate.stocked(variant.stocked ?? 0),
             weight: try Validate.weight(variant.weightGrams))
        }
        return try await scope.withStore(store) { connection in
            let collectionID = try await collectionID(request.collection, on: connection)
            let id = try await connection.query(
                CellSQL.insertProduct(handle: handle, title: title, description: description, status: status,
                                      collectionID: collectionID, images: images), logger: logger).collect(Int64.self)[0]
            for (position, variant) in variants.enumerated() {
                try await insertVariant(productID: id, title: variant.title, sku: variant.sku, price: variant.price,
                                        stocked: variant.stocked, weightGrams: variant.weight, position: position, on: connection)
            }
            if !attachments.isEmpty { try await replaceMedia(productID: id, with: attachments, on: connection) }
            return try await product(id: id, on: connection)
        }
    }

    func updateProduct(_ store: StoreSlug, id: Int64, _ request: UpdateProductRequest) async throws -> ProductWire {
        let title = try request.title.map { value throws(LumoraError) in try Validate.title(value) }
        let handle = try request.handle.map { value throws(LumoraError) in try Validate.handle(value) }
        let description = try request.description.map { value throws(LumoraError) in try Validate.description(value) }
        let status = try request.status.map { value throws(LumoraError) in try Validate.status(value) }
        let images = try request.images.map { value throws(LumoraError) in try Validate.images(value) }
        let attachments = try request.media.map { value throws(LumoraError) in try Validate.mediaAttachments(value) }
        return try await scope.withStore(store) { connection in
            var setCollection = false
            var collectionID: Int64?
            switch request.collection {
            case .absent: break
            case .null: setCollection = true
            case .value(let handle):
                setCollection = true
                collectionID = try await self.collectionID(handle, on: connection)
            }
            let updated = try await connection.query(
                CellSQL.updateProduct(id: id, handle: handle, title: title, description: description, status: status,
                                      setCollection: setCollection, collectionID: collectionID, images: images),
                logger: logger).hasRows()
            guard updated else { throw ResourceID.product.notFound(ResourceID.product.format(id)) }
            if let attachments { try await replaceMedia(productID: id, with: attachments, on: connection) }
            return try await product(id: id, on: connection)
        }
    }

    func setStatus(_ store: StoreSlug, id: Int64, published: Bool) async throws -> ProductWire {
        try await updateProduct(store, id: id, UpdateProductRequest(status: published ? "published" : "draft"))
    }

    func deleteProduct(_ store: StoreSlug, id: Int64) async throws {
        try await scope.withStore(store) { connection in
            let pictures = try await connection.query(CellSQL.mediaOfProduct(id: id), logger: logger).collect(Int64.self)
            guard try await connection.query(CellSQL.deleteProduct(id: id), logger: logger).hasRows() else {
                throw ResourceID.product.notFound(ResourceID.product.format(id))
            }
            if !pictures.isEmpty { try await connection.run(CellSQL.deleteUnusedMedia(ids: pictures), logger: logger) }
        }
    }

    func addVariant(_ store: StoreSlug, productID: Int64, _ request: CreateVariantRequest, currency: CurrencyCode) async throws -> ProductWire {
        let title = try Validate.title(request.title, field: "variant_title")
        let sku = try Validate.sku(request.sku)
        let price = try Validate.price(request.price, storeCurrency: currency)
        let stocked = try Validate.stocked(request.stocked ?? 0)
        let weight = try Validate.weight(request.weightGrams)
        return try await scope.withStore(store) { connection in
            _ = try await product(id: productID, on: connection)
            let position = try await connection.query(CellSQL.nextVariantPosition(productID: productID), logger: logger).collect(Int.self)[0]
            try await insertVariant(productID: productID, title: title, sku: sku, price: price, stocked: stocked, weightGrams: weight,
                                    position: position, on: connection)
            return try await product(id: productID, on: connection)
        }
    }

    func updateVariant(_ store: StoreSlug, productID: Int64, variantID: Int64, _ request: UpdateVariantRequest, currency: CurrencyCode) async throws -> ProductWire {
        let title = try request.title.map { value throws(LumoraError) in try Validate.title(value, field: "variant_title") }
        let sku = try Validate.sku(request.sku)
        let price = try request.price.map { value throws(LumoraError) in try Validate.price(value, storeCurrency: currency) }
        let weight = try Validate.weight(request.weightGrams)
        return try await scope.withStore(store) { connection in
            guard try await connection.query(CellSQL.updateVariant(productID: productID, variantID: variantID, title: title, sku: sku, price: price,
                                                                   weightGrams: weight),
                                             logger: logger).hasRows() else {
                throw ResourceID.variant.notFound(ResourceID.variant.format(variantID))
            }
            return try await product(id: productID, on: connection)
        }
    }

    func deleteVariant(_ store: StoreSlug, productID: Int64, variantID: Int64) async throws -> ProductWire {
        try await scope.withStore(store) { connection in
            guard try await connection.query(CellSQL.deleteVariant(productID: productID, variantID: variantID), logger: logger).hasRows() else {
                throw ResourceID.variant.notFound(ResourceID.variant.format(variantID))
            }
            return try await product(id: productID, on: connection)
        }
    }

    func createCollection(_ store: StoreSlug, _ request: CreateCollectionRequest) async throws -> CollectionWire {
        let title = try Validate.title(request.title)
        let handle = try Validate.handle(request.handle)
        return try await scope.withStore(store) { connection in
            let (id, handle, title) = try await connection.query(CellSQL.insertCollection(handle: handle, title: title), logger: logger)
                .collect((Int64, String, String).self)[0]
            return CollectionWire(id: ResourceID.collection.format(id), handle: handle, title: title)
        }
    }

    func deleteCollection(_ store: StoreSlug, id: Int64) async throws {
        try await scope.withStore(store) { connection in
            guard try await connection.query(CellSQL.deleteCollection(id: id), logger: logger).hasRows() else {
                throw ResourceID.collection.notFound(ResourceID.collection.format(id))
            }
        }
    }

    /// Changes stocked by `delta`; stock never goes below zero or below what orders reserved.
    func adjustInventory(_ store: StoreSlug, variantID: Int64, by delta: Int64) async throws -> InventoryWire {
        guard abs(delta) <= 1_000_000_000 else {
            throw LumoraError.badRequest("invalid_adjustment", "adjust must be from -1000000000 to 1000000000")
        }
        return try await scope.withStore(store) { connection in
            let rows = try await connection.query(CellSQL.adjustInventory(variantID: variantID, by: delta), logger: logger).collect((Int64, Int64).self)
            guard let (stocked, reserved) = rows.first else {
                guard try await connection.query(CellSQL.inventory(variantID: variantID), logger: logger).hasRows() else {
                    throw ResourceID.variant.notFound(ResourceID.variant.format(variantID))
                }
                throw LumoraError.conflict("insufficient_stock", "stock cannot go below zero or below the units reserved by orders")
            }
            return InventoryWire(variantId: ResourceID.variant.format(variantID), stocked: stocked, reserved: reserved, available: stocked - reserved)
        }
    }

    func updateSettings(_ store: StoreSlug, _ request: UpdateSettingsRequest) async throws -> SettingsWire {
        let name = try request.name.map { value throws(LumoraError) in try Validate.title(value, field: "name") }
        let description = try request.description.map { value throws(LumoraError) in try Validate.description(value) }
        let primary = try request.primaryColor.map { value throws(LumoraError) in try Validate.themeColor(value, field: "primary_color") }
        let accent = try request.accentColor.map { value throws(LumoraError) in try Validate.themeColor(value, field: "accent_color") }
        var setLogo = false
        var logo: String?
        var logoMedia: Int64?
        switch request.logoUrl {
        case .absent: break
        case .null: setLogo = true
        case .value(let url):
            setLogo = true
            let checked = try Validate.url(url, field: "logo_url")
            try await images.check(checked, field: "logo_url")
            logo = checked
        }
        switch request.logoMedia {
        case .absent: break
        case .null: setLogo = true
        case .value(let id):
            guard logo == nil else { throw LumoraError.badRequest("invalid_logo", "give logo_url or logo_media, not both") }
            setLogo = true
            logoMedia = try Validate.mediaID(id, field: "logo_media")
        }
        let currency = try request.currency.map { value throws(LumoraError) in try CurrencyCode(validating: value) }
        return try await scope.withStore(store) { connection in
            let previousLogo = try await connection.query(CellSQL.logoMediaID, logger: logger).collect(Int64?.self).first ?? nil
            if let logoMedia { _ = try await MediaRepository.liveMedia([logoMedia], on: connection, logger: logger) }
            try await connection.run(CellSQL.updateSettings(name: name, description: description, setLogo: setLogo, logoURL: logo, logoMediaID: logoMedia,
                                                            primaryColor: primary, accentColor: accent), logger: logger)
            if setLogo, let previousLogo, previousLogo != logoMedia {
                try await connection.run(CellSQL.deleteUnusedMedia(ids: [previousLogo]), logger: logger)
            }
            if let name { try await connection.run(CellSQL.renameOwnStore(name: name), logger: logger) }
            if let currency, currency.code != (try await settings(on: connection)).currency {
                // Prices are kept in minor units of one currency: no conversion, so no change once there are any.
                guard try await connection.query(CellSQL.hasPricesOrOrders, logger: logger).collect(Bool.self).first == false else {
                    throw LumoraError.conflict("currency_locked", "currency can change only while the store has no products and no orders")
                }
                try await connection.run(CellSQL.setCurrency(currency.code), logger: logger)
                try await connection.run(CellSQL.setOpenCartsCurrency(currency.code), logger: logger)
                try await connection.run(CellSQL.setOwnCurrency(currency.code), logger: logger)
            }
            return try await settings(on: connection)
        }
    }

    // MARK: Helpers on an open scope

    func product(id: Int64, on connection: PostgresConnection) async throws -> ProductWire {
        let (products, _) = try await productRows(CellSQL.product(id: id), admin: true, on: connection)
        guard let product = products.first else {
            throw ResourceID.product.notFound(ResourceID.product.format(id))
        }
        return product
    }

    func settings(on connection: PostgresConnection) async throws -> SettingsWire {
        let rows = try await connection.query(CellSQL.settings, logger: logger)
            .collect((String, String, String?, String, String, String, Int64, Int64?, String?, String?, [Int32]?, [Int32]?, [String]?, Int64?, Date?).self)
        guard let row = rows.first else { throw LumoraError.internalError("the store has no settings row") }
        let logo = MediaRow(optional: (row.7, row.8, row.9, row.10, row.11, row.12, row.13, row.14)).map(MediaRepository.wire)
        return SettingsWire(name: row.0, description: row.1, logoUrl: logo?.url(atLeast: Self.logoWidth) ?? row.2, logo: logo,
                            primaryColor: row.3, accentColor: row.4, currency: row.5, catalogVersion: row.6)
    }

    /// The width of the logo rendition `logo_url` names (the storefront header shows it small).
    static let logoWidth = 320
    /// The width of the rendition a product's `thumbnail` names (a catalog card).
    static let thumbnailWidth = 640

    /// The product's pictures become `attachments`, in their order; those it no longer shows
    /// and nothing else uses are deleted (their files go after the grace period).
    private func replaceMedia(productID: Int64, with attachments: [(id: Int64, alt: String)], on connection: PostgresConnection) async throws {
        _ = try await MediaRepository.liveMedia(attachments.map(\.id), on: connection, logger: logger)
        let previous = try await connection.query(CellSQL.detachAllMedia(productID: productID), logger: logger).collect(Int64.self)
        for (position, attachment) in attachments.enumerated() {
            try await connection.run(CellSQL.attachMedia(productID: productID, mediaID: attachment.id, position: position, alt: attachment.alt), logger: logger)
        }
        let dropped = previous.filter { id in !attachments.contains { $0.id == id } }
        if !dropped.isEmpty { try await connection.run(CellSQL.deleteUnusedMedia(ids: dropped), logger: logger) }
    }

    private func collectionID(_ handle: String?, on connection: PostgresConnection) async throws -> Int64? {
        guard let handle else { return nil }
        guard let id = try await connection.query(CellSQL.collectionID(handle: handle), logger: logger).collect(Int64.self).first else {
            throw LumoraError(.unprocessable, code: "unknown_collection", message: "no collection with handle '\(handle.prefix(100))'; create it first")
        }
        return id
    }

    private func insertVariant(productID: Int64, title: String, sku: String?, price: Money, stocked: Int64, weightGrams: Int64?, position: Int,
                               on connection: PostgresConnection) async throws {
        let variantID = try await connection.query(
            CellSQL.insertVariant(productID: productID, title: title, sku: sku, price: price, weightGrams: weightGrams, position: position), logger: logger
        ).collect(Int64.self)[0]
        try await connection.run(CellSQL.insertInventory(variantID: variantID, stocked: stocked), logger: logger)
    }

    /// Products as `CellSQL.productColumns` reads them, variants and pictures nested, and the
    /// statement's last column: how many matched.
    private func productRows(_ query: PostgresQuery, admin: Bool, on connection: PostgresConnection) async throws -> ([ProductWire], Int) {
        let rows = try await connection.query(query, logger: logger)
            .collect((Int64, String, String, String, String, [String], Date, Date, Int64?, String?, String?,
                      [VariantRecord], [ProductMediaRecord], Int).self)
        let products = try rows.map { row in
            let media = row.12.map { ProductMediaWire(alt: $0.alt, media: MediaRepository.wire($0.media)) }
            return ProductWire(
                id: ResourceID.product.format(row.0), handle: row.1, title: row.2, description: row.3, status: row.4,
                collection: row.8.map { CollectionWire(id: ResourceID.collection.format($0), handle: row.9 ?? "", title: row.10 ?? "") },
                images: row.5, media: media, thumbnail: media.first?.media.url(atLeast: Self.thumbnailWidth) ?? row.5.first,
                variants: try row.11.map { try $0.wire(admin: admin) }, createdAt: row.6, updatedAt: row.7)
        }
        return (products, rows.first?.13 ?? 0)
    }

    /// `q` matches titles case-insensitively; `%`, `_` and `\` in it are literal.
    static func likePattern(_ search: String) -> String {
        var escaped = ""
        for character in search.prefix(100) {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
