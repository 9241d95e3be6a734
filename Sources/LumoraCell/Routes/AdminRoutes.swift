import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import LumoraCore
import LumoraHTTP
import LumoraWire

/// The admin API — what a merchant's dashboard or script calls, with the store's admin token.
struct AdminRoutes: Sendable {
    let catalog: CatalogRepository
    let orders: OrderRepository
    let overviews: OverviewRepository
    let maximumBodySize: Int

    func add(to group: RouterGroup<CellRequestContext>) {
        group.get("products", use: listProducts)
        group.post("products", use: createProduct)
        group.get("products/:id", use: product)
        group.post("products/:id", use: updateProduct)
        group.delete("products/:id", use: deleteProduct)
        group.post("products/:id/publish", use: publish)
        group.post("products/:id/unpublish", use: unpublish)
        group.post("products/:id/variants", use: addVariant)
        group.post("products/:id/variants/:variant", use: updateVariant)
        group.delete("products/:id/variants/:variant", use: deleteVariant)
        group.get("collections", use: collections)
        group.post("collections", use: createCollection)
        group.delete("collections/:id", use: deleteCollection)
        group.post("inventory/:variant", use: adjustInventory)
        group.get("orders", use: listOrders)
        group.get("orders/:id", use: order)
        group.post("orders/:id/fulfil", use: fulfil)
        group.post("orders/:id/cancel", use: cancel)
        group.get("overview", use: overview)
        // Settings: owners and admins (and API tokens), not staff.
        let settings = group.group("settings").add(middleware: RoleMiddleware(action: .settings))
        settings.get(use: self.settings)
        settings.put(use: updateSettings)
    }

    @Sendable func listProducts(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let parameters = request.uri.queryParameters
        var publishedOnly = false
        if let status = parameters.get("status") {
            guard status == "published" || status == "all" else {
                throw LumoraError.badRequest("invalid_status", "status must be 'published' or 'all'")
            }
            publishedOnly = status == "published"
        }
        let query = CatalogRepository.ProductQuery(
            publishedOnly: publishedOnly, search: parameters.get("q").flatMap { $0.isEmpty ? nil : $0 },
            collection: parameters.get("collection").flatMap { $0.isEmpty ? nil : $0 }, page: try Pagination(query: request.uri))
        return try JSONWire.response(try await catalog.products(store.slug, query, admin: true))
    }

    @Sendable func createProduct(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(CreateProductRequest.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "product", value: try await catalog.createProduct(store.slug, body, currency: store.currency)), status: .created)
    }

    @Sendable func product(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "product", value: try await catalog.product(store.slug, id: try productID(context))))
    }

    @Sendable func updateProduct(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(UpdateProductRequest.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "product", value: try await catalog.updateProduct(store.slug, id: try productID(context), body)))
    }

    @Sendable func deleteProduct(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let id = try productID(context)
        try await catalog.deleteProduct(store.slug, id: id)
        return try JSONWire.response(Deleted(id: ResourceID.product.format(id), object: "product"))
    }

    @Sendable func publish(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "product", value: try await catalog.setStatus(store.slug, id: try productID(context), published: true)))
    }

    @Sendable func unpublish(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "product", value: try await catalog.setStatus(store.slug, id: try productID(context), published: false)))
    }

    @Sendable func addVariant(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(CreateVariantRequest.self, from: request, limit: maximumBodySize)
        let product = try await catalog.addVariant(store.slug, productID: try productID(context), body, currency: store.currency)
        return try JSONWire.response(Single(key: "product", value: product), status: .created)
    }

    @Sendable func updateVariant(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(UpdateVariantRequest.self, from: request, limit: maximumBodySize)
        let product = try await catalog.updateVariant(store.slug, productID: try productID(context),
                                                      variantID: try ResourceID.variant.parse(try context.parameters.decoded("variant")), body, currency: store.currency)
        return try JSONWire.response(Single(key: "product", value: product))
    }

    @Sendable func deleteVariant(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let product = try await catalog.deleteVariant(store.slug, productID: try productID(context),
                                                      variantID: try ResourceID.variant.parse(try context.parameters.decoded("variant")))
        return try JSONWire.response(Single(key: "product", value: product))
    }

    @Sendable func collections(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(try await catalog.collections(store.slug))
    }

    @Sendable func createCollection(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(CreateCollectionRequest.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "collection", value: try await catalog.createCollection(store.slug, body)), status: .created)
    }

    @Sendable func deleteCollection(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let id = try ResourceID.collection.parse(try context.parameters.decoded("id"))
        try await catalog.deleteCollection(store.slug, id: id)
        return try JSONWire.response(Deleted(id: ResourceID.collection.format(id), object: "collection"))
    }

    @Sendable func adjustInventory(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(AdjustInventoryRequest.self, from: request, limit: maximumBodySize)
        let variant = try ResourceID.variant.parse(try context.parameters.decoded("variant"))
        return try JSONWire.response(Single(key: "inventory", value: try await catalog.adjustInventory(store.slug, variantID: variant, by: body.adjust)))
    }

    @Sendable func listOrders(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let status = request.uri.queryParameters.get("status")
        if let status, !Self.orderStatuses.contains(status) {
            throw LumoraError.badRequest("invalid_status", "status must be one of \(Self.orderStatuses.joined(separator: ", "))")
        }
        return try JSONWire.response(try await orders.list(store.slug, status: status, page: try Pagination(query: request.uri)))
    }

    @Sendable func overview(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(try await overviews.overview(store.slug, currency: store.currency))
    }

    @Sendable func order(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "order", value: try await orders.get(store.slug, id: try orderID(context))))
    }

    @Sendable func fulfil(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "order", value: try await orders.fulfil(store.slug, id: try orderID(context))))
    }

    @Sendable func cancel(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "order", value: try await orders.cancel(store.slug, id: try orderID(context))))
    }

    @Sendable func settings(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "settings", value: try await catalog.settings(store.slug)))
    }

    @Sendable func updateSettings(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(UpdateSettingsRequest.self, from: request, limit: maximumBodySize)
        return try JSONWire.response(Single(key: "settings", value: try await catalog.updateSettings(store.slug, body)))
    }

    static let orderStatuses = ["pending_payment", "paid", "fulfilled", "canceled", "refunded"]

    private func productID(_ context: CellRequestContext) throws -> Int64 {
        try ResourceID.product.parse(try context.parameters.decoded("id"))
    }

    private func orderID(_ context: CellRequestContext) throws -> Int64 {
        try ResourceID.order.parse(try context.parameters.decoded("id"))
    }
}
