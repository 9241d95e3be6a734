import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import LumoraWire

/// The store API — what a storefront calls. Catalog reads are served from the response cache
/// when they can be.
struct StoreRoutes: Sendable {
    let catalog: CatalogRepository
    let carts: CartRepository
    let orders: OrderRepository
    let cache: StoreResponseCache
    let metrics: CellMetrics
    let maximumBodySize: Int

    func add(to group: RouterGroup<CellRequestContext>) {
        group.get("products", use: listProducts)
        group.get("products/:handle", use: product)
        group.get("collections", use: collections)
        group.get("settings", use: settings)
        group.post("carts", use: createCart)
        group.get("carts/:id", use: cart)
        group.post("carts/:id/line-items", use: addLine)
        group.post("carts/:id/line-items/:line", use: updateLine)
        group.delete("carts/:id/line-items/:line", use: deleteLine)
        group.post("carts/:id/complete", use: complete)
        group.get("carts/:id/order", use: cartOrder)
    }

    @Sendable func listProducts(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let parameters = request.uri.queryParameters
        let query = CatalogRepository.ProductQuery(
            publishedOnly: true,
            search: parameters.get("q").flatMap { $0.isEmpty ? nil : $0 },
            collection: parameters.get("collection").flatMap { $0.isEmpty ? nil : $0 },
            page: try Pagination(query: request.uri))
        return try await cached(request, store: store.slug) { try await catalog.products(store.slug, query, admin: false) }
    }

    @Sendable func product(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let handle = try context.parameters.decoded("handle")
        return try await cached(request, store: store.slug) {
            Single(key: "product", value: try await catalog.product(store.slug, handle: handle, admin: false))
        }
    }

    @Sendable func collections(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try await cached(request, store: store.slug) { try await catalog.collections(store.slug) }
    }

    @Sendable func settings(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try await cached(request, store: store.slug) {
            Single(key: "settings", value: try await catalog.settings(store.slug))
        }
    }

    @Sendable func createCart(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "cart", value: try await carts.create(store.slug, currency: store.currency)), status: .created)
    }

    @Sendable func cart(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "cart", value: try await carts.get(store.slug, id: try context.parameters.decoded("id"))))
    }

    @Sendable func addLine(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(AddLineItemRequest.self, from: request, limit: maximumBodySize)
        let cart = try await carts.addLine(store.slug, cartID: try context.parameters.decoded("id"), body)
        return try JSONWire.response(Single(key: "cart", value: cart))
    }

    @Sendable func updateLine(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(UpdateLineItemRequest.self, from: request, limit: maximumBodySize)
        let cart = try await carts.updateLine(store.slug, cartID: try context.parameters.decoded("id"), lineID: try context.parameters.decoded("line"), body)
        return try JSONWire.response(Single(key: "cart", value: cart))
    }

    @Sendable func deleteLine(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let cart = try await carts.deleteLine(store.slug, cartID: try context.parameters.decoded("id"), lineID: try context.parameters.decoded("line"))
        return try JSONWire.response(Single(key: "cart", value: cart))
    }

    @Sendable func complete(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body = try await JSONWire.decode(CompleteCartRequest.self, from: request, limit: maximumBodySize)
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        let completion = try await orders.complete(store.slug, cartID: try context.parameters.decoded("id"), body, idempotencyKey: key)
        return try JSONWire.response(Single(key: "order", value: completion.order), status: completion.created ? .created : .ok)
    }

    /// The order a completed cart became (the cart id is the shopper's secret, so this is how a
    /// storefront shows the confirmation).
    @Sendable func cartOrder(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "order", value: try await orders.order(ofCart: try context.parameters.decoded("id"), store: store.slug)))
    }

    /// Serves the encoded response from the cache, or computes, caches and serves it.
    /// `Cache-Control: no-cache` skips the lookup (the edge asks for fresh data when it
    /// re-renders a page after a change; its own notification may arrive before ours).
    private func cached(_ request: Request, store: StoreSlug, _ produce: () async throws -> some Encodable) async throws -> Response {
        try await cached(request, store: store, encoded: { ByteBuffer(bytes: try JSONWire.encoder.encode(try await produce())) })
    }

    /// Catalog pages, written without Foundation's encoder (`JSONWriter`: the same JSON).
    private func cached(_ request: Request, store: StoreSlug, _ produce: () async throws -> some JSONWritable & Encodable) async throws -> Response {
        try await cached(request, store: store, encoded: { ByteBuffer(bytes: try await produce().jsonBytes) })
    }

    private func cached(_ request: Request, store: StoreSlug, encoded produce: () async throws -> ByteBuffer) async throws -> Response {
        let key = request.uri.description
        let fresh = request.headers[.cacheControl]?.contains("no-cache") == true
        if !fresh, let body = cache.lookup(store, key: key) {
            metrics.recordCache(hit: true)
            return Self.json(body, cache: "hit")
        }
        metrics.recordCache(hit: false)
        let token = cache.token(store)
        let body = try await produce()
        cache.insert(store, key: key, body: body, token: token)
        return Self.json(body, cache: "miss")
    }

    private static func json(_ body: ByteBuffer, cache: String) -> Response {
        Response(status: .ok,
                 headers: [.contentType: "application/json; charset=utf-8", HTTPField.Name("x-lumora-cache")!: cache],
                 body: .init(byteBuffer: body))
    }
}
