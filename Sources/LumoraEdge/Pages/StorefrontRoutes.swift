import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraHTTP
import LumoraWire
import NIOCore

/// The storefront: every page of every store, routed as `/_sites/:site/…` after the host was
/// resolved. Catalog pages (home, product list, product page, robots.txt, sitemap.xml,
/// theme.css) are cached per store and dropped when the store's catalog changes; cart and
/// checkout pages are per visitor.
struct StorefrontRoutes: Sendable {
    let cells: CellClient
    let pages: PageRenderer
    let cache: StoreResponseCache
    let csrf: CSRFTokens
    let maximumBodySize: Int
    let logger: Logger

    static let pageSize = 12

    func add(to router: Router<EdgeRequestContext>) {
        let site = router.group("_sites/:site").add(middleware: ErrorPageMiddleware(pages: pages, logger: logger))
        site.get(use: home)
        site.get("products", use: products)
        site.get("products/:handle", use: product)
        site.get("cart", use: cart)
        site.post("cart/add", use: addToCart)
        site.post("cart/update", use: updateCart)
        site.post("cart/remove", use: removeFromCart)
        addCheckout(to: site)
        site.get("robots.txt", use: robots)
        site.get("sitemap.xml", use: sitemap)
        site.get("theme.css", use: theme)
        site.get("favicon.ico", use: favicon)
        site.get("favicon.svg", use: faviconSVG)
        site.get("logo.svg", use: logoSVG)
        site.get("art/:file", use: productArt)
    }

    // MARK: Catalog pages (cached)

    @Sendable func home(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await cachedPage(request, context) { caller in
            let settings = try await settings(caller)
            let page = try await cells.json(Page<ProductWire>.self, .GET, RequestTarget.path("store", "products").query("limit", 8), as: caller)
            let view = StoreView.from(settings, route: caller.store)
            return try pages.render("home", HomePage(
                meta: meta(context, path: "/", title: view.name, description: Presentable.summary(settings.description, fallback: "Shop \(view.name) online."),
                           image: page.items.first?.thumbnail, settings: settings),
                store: view, featured: page.items.map(Presentable.card), hasProducts: !page.items.isEmpty))
        }
    }

    /// A page of products: all, one collection's, or what a search (`q`) found.
    @Sendable func products(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let pageNumber = parameters.get("page").map { Int($0) ?? -1 } ?? 1
        let collection = parameters.get("collection").flatMap { $0.isEmpty ? nil : $0 }
        // The search box is a GET form: its value arrives form-encoded, a space as `+`.
        let search = parameters.get("q").map { $0.replacingOccurrences(of: "+", with: " ").trimmingCharacters(in: .whitespaces) }
            .flatMap { $0.isEmpty ? nil : $0 }
        guard pageNumber >= 1, pageNumber <= 1000, collection.map({ $0.count <= 100 && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }) ?? true,
              search.map({ $0.count <= 100 }) ?? true else {
            return try pages.errorPage(.notFound, title: "No such page", message: "This page of products does not exist.", context: context)
        }
        return try await cachedPage(request, context) { caller in
            let settings = try await settings(caller)
            let query = RequestTarget.path("store", "products").query("limit", Self.pageSize)
                .query("offset", (pageNumber - 1) * Self.pageSize).query("collection", collection).query("q", search)
            async let pageReply = cells.json(Page<ProductWire>.self, .GET, query, as: caller)
            async let collectionsReply = cells.json(Page<CollectionWire>.self, .GET, RequestTarget.path("store", "collections"), as: caller)
            let (page, collections) = try await (pageReply, collectionsReply)
            let pages = max(1, (page.count + Self.pageSize - 1) / Self.pageSize)
            func url(_ number: Int) -> String {
                var items: [String] = []
                if let collection { items.append("collection=\(RequestTarget.encode(collection))") }
                if let search { items.append("q=\(RequestTarget.encode(search))") }
                if number > 1 { items.append("page=\(number)") }
                return "/products" + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
            }
            let view = StoreView.from(settings, route: caller.store, query: search ?? "")
            let collectionTitle = collection.flatMap { handle in collections.items.first { $0.handle == handle }?.title }
            let heading = search.map { "Results for “\($0)”" } ?? collectionTitle ?? "All products"
            let empty: (title: String, message: String)
            if pageNumber > 1 {
                empty = ("No products match", "This page is past the last one.")
            } else if let search {
                empty = ("No products match", "Nothing here matches “\(search)”. Try another word, or see all products.")
            } else if collection != nil {
                empty = ("No products match", "This collection has no products yet.")
            } else {
                empty = ("No products yet", "There is nothing to show here yet.")
            }
            return try self.pages.render("products", ProductsPage(
                meta: meta(context, path: url(pageNumber), title: "\(heading) — \(view.name)",
                           description: "\(heading) at \(view.name): \(page.count) products.", image: nil, settings: settings),
                store: view, heading: heading, products: page.items.map(Presentable.card), hasProducts: !page.items.isEmpty,
                emptyTitle: empty.title, emptyMessage: empty.message,
                collections: collections.items.map { CollectionLink(handle: $0.handle, title: $0.title, selected: $0.handle == collection) },
                hasCollections: !collections.items.isEmpty && search == nil, allSelected: collection == nil,
                page: pageNumber, pages: pages,
                previousURL: pageNumber > 1 ? url(pageNumber - 1) : nil, nextURL: pageNumber < pages ? url(pageNumber + 1) : nil))
        }
    }

    @Sendable func product(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let handle = try context.parameters.decoded("handle")
        // Handles are `[a-z0-9-]`, at most 100 (the cell's rule); checked byte-wise.
        guard handle.utf8.count <= 100, handle.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
            return try pages.errorPage(.notFound, title: "Product not found", message: "There is no such product.", context: context)
        }
        return try await cachedPage(request, context) { caller in
            let settings = try await settings(caller)
            let product = try await cells.json(Single<ProductWire>.self, .GET, RequestTarget.path("store", "products", handle), as: caller).value
            let view = StoreView.from(settings, route: caller.store)
            let firstInStock = product.variants.first { $0.inStock }?.id
            return try pages.render("product", ProductPageView(
                meta: meta(context, path: "/products/\(handle)", title: "\(product.title) — \(view.name)",
                           description: Presentable.summary(product.description, fallback: "\(product.title) at \(view.name)."),
                           image: product.thumbnail, settings: settings, type: "product"),
                store: view, title: product.title, description: product.description,
                collection: product.collection.map { CollectionLink(handle: $0.handle, title: $0.title, selected: false) },
                pictures: product.media.compactMap { Presentable.picture($0.media, alt: $0.alt.isEmpty ? product.title : $0.alt, sizes: Presentable.gallerySizes) },
                images: product.media.isEmpty ? (product.images.compactMap(Presentable.url).nonEmpty ?? [Presentable.placeholderImage]) : [],
                price: Presentable.priceLabel(product.variants),
                variants: product.variants.map { VariantOption(id: $0.id, title: $0.title, price: $0.price.formatted, inStock: $0.inStock,
                                                               checked: $0.id == firstInStock, availability: Presentable.availability($0)) },
                purchasable: firstInStock != nil, csrf: csrf.placeholder))
        }
    }

    @Sendable func robots(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let origin = "\(context.scheme)://\(context.canonicalHost ?? context.host)"
        let text = "User-agent: *\nDisallow: /cart\nDisallow: /checkout\nDisallow: /order/\nDisallow: /api/\nSitemap: \(origin)/sitemap.xml\n"
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func sitemap(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await cachedResponse(request, context, contentType: "application/xml; charset=utf-8") { caller in
            let origin = "\(context.scheme)://\(context.canonicalHost ?? context.host)"
            var locations = ["\(origin)/", "\(origin)/products"]
            var offset = 0
            while offset < 5000 {
                let page = try await cells.json(Page<ProductWire>.self, .GET, RequestTarget.path("store", "products").query("limit", 100).query("offset", offset),
                                          as: caller)
                locations += page.items.map { "\(origin)/products/\($0.handle)" }
                offset += page.items.count
                if page.items.isEmpty || offset >= page.count { break }
            }
            let urls = locations.map { "  <url><loc>\(Self.xmlEscape($0))</loc></url>" }.joined(separator: "\n")
            return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n\(urls)\n</urlset>\n"
        }
    }

    @Sendable func theme(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await cachedResponse(request, context, contentType: "text/css; charset=utf-8") { caller in
            let settings = try await settings(caller)
            let primary = Presentable.color(settings.primaryColor, fallback: "#1f2937")
            let accent = Presentable.color(settings.accentColor, fallback: "#2563eb")
            return ":root { --primary: \(primary); --accent: \(accent); }\n"
        }
    }

    @Sendable func favicon(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        if let logo = Presentable.url(try await settings(caller).logoUrl) {
            return Response(status: .found, headers: [.location: logo, .cacheControl: "public, max-age=3600"])
        }
        return try await faviconSVG(request, context: context)
    }

    @Sendable func faviconSVG(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await cachedResponse(request, context, contentType: "image/svg+xml") { caller in
            let settings = try await settings(caller)
            let initial = Self.xmlEscape(String((settings.name.isEmpty ? caller.store.name : settings.name).prefix(1)).uppercased())
            let color = Presentable.color(settings.primaryColor, fallback: "#1f2937")
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\"><rect width=\"64\" height=\"64\" rx=\"12\" fill=\"\(color)\"/><text x=\"32\" y=\"44\" font-size=\"36\" font-family=\"sans-serif\" text-anchor=\"middle\" fill=\"#fff\">\(initial)</text></svg>"
        }
    }

    /// A generated wordmark (the demo stores use it as their logo).
    @Sendable func logoSVG(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await cachedResponse(request, context, contentType: "image/svg+xml") { caller in
            let settings = try await settings(caller)
            let name = settings.name.isEmpty ? caller.store.name : settings.name
            let primary = Presentable.color(settings.primaryColor, fallback: "#1f2937")
            let accent = Presentable.color(settings.accentColor, fallback: "#2563eb")
            let initial = Self.xmlEscape(String(name.prefix(1)).uppercased())
            return """
                <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="\(primary)"/>\
                <circle cx="48" cy="16" r="9" fill="\(accent)"/><text x="30" y="46" font-size="34" font-weight="700" \
                font-family="sans-serif" text-anchor="middle" fill="#fff">\(initial)</text></svg>
                """
        }
    }

    /// `/art/<handle>.svg`: a product picture drawn from its handle and the store's colours.
    @Sendable func productArt(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let file = try context.parameters.decoded("file")
        let handle = file.hasSuffix(".svg") ? String(file.dropLast(4)) : ""
        guard (1...100).contains(handle.utf8.count),
              handle.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
            throw LumoraError.notFound("not_found", "no such picture")
        }
        return try await cachedResponse(request, context, contentType: "image/svg+xml") { caller in
            let settings = try await settings(caller)
            return ProductArt.svg(handle: handle, primary: Presentable.color(settings.primaryColor, fallback: "#1f2937"),
                                  accent: Presentable.color(settings.accentColor, fallback: "#2563eb"))
        }
    }

    // MARK: Cart and checkout (per visitor)

    @Sendable func cart(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        return try await cartPage(caller, context: context, session: session, cart: try await currentCart(caller, session: session), notice: nil)
    }

    @Sendable func addToCart(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        let form = try await FormFields(request, limit: maximumBodySize)
        try csrf.verify(form["csrf"], host: context.host, session: session)
        var cartID = session.cartID
        var response: Response
        do {
            let line = AddLineItemRequest(variantId: try StorefrontInput.variantID(form["variant_id"]), quantity: try StorefrontInput.quantity(form["quantity"]))
            cartID = try await withCart(caller, cartID: cartID) { id in
                _ = try await cells.json(Single<CartWire>.self, .POST, RequestTarget.path("store", "carts", id, "line-items"), as: caller, body: line)
            }
            response = Response(status: .seeOther, headers: [.location: "/cart"])
        } catch let error as LumoraError where error.httpStatusCode < 500 {
            response = try await cartPage(caller, context: context, session: session, cart: try? await currentCart(caller, session: session),
                                          notice: Self.notice(for: error), status: HTTPResponse.Status(code: error.httpStatusCode))
        }
        if let cartID, cartID != session.cartID {
            response.headers.append(HTTPField(name: .setCookie, value: Session.cookie(Session.cartCookie, cartID, secure: context.isSecure)))
        }
        return response
    }

    @Sendable func updateCart(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await changeLine(request, context) { caller, cartID, form in
            let body = UpdateLineItemRequest(quantity: try StorefrontInput.quantity(form["quantity"]))
            _ = try await cells.json(Single<CartWire>.self, .POST, RequestTarget.path("store", "carts", cartID, "line-items", try StorefrontInput.lineID(form["line_id"])),
                                     as: caller, body: body)
        }
    }

    @Sendable func removeFromCart(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await changeLine(request, context) { caller, cartID, form in
            _ = try await cells.json(Single<CartWire>.self, .DELETE, RequestTarget.path("store", "carts", cartID, "line-items", try StorefrontInput.lineID(form["line_id"])),
                                     as: caller)
        }
    }

    // MARK: Helpers

    func requireStore(_ context: EdgeRequestContext) throws -> CellCaller {
        guard let store = context.store else { throw LumoraError.notFound("not_found", "no store") }
        return CellCaller(store: store, visitor: context.visitor)
    }

    func settings(_ caller: CellCaller) async throws -> SettingsWire {
        try await cells.json(Single<SettingsWire>.self, .GET, RequestTarget.path("store", "settings"), as: caller).value
    }

    func meta(_ context: EdgeRequestContext, path: String?, title: String, description: String, image: String?,
                      settings: SettingsWire, type: String = "website") -> PageMeta {
        let origin = "\(context.scheme)://\(context.canonicalHost ?? context.host)"
        let picture = Presentable.url(image).map { $0.hasPrefix("/") ? origin + $0 : $0 }
        let logo = Presentable.url(settings.logoUrl)
        return PageMeta(title: title, description: description, canonicalURL: path.map { origin + $0 }, siteName: settings.name,
                        image: picture, ogType: type, iconURL: logo ?? "/favicon.svg", themed: true)
    }

    /// Serves a cached page (or renders and caches it), then personalises it: the visitor's
    /// CSRF token goes where the placeholder is, and a new visitor gets a session cookie.
    /// (`FastPath` serves hits the same way below Hummingbird; this is the path for misses.)
    private func cachedPage(_ request: Request, _ context: EdgeRequestContext, render: (CellCaller) async throws -> String) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        let key = Self.cacheKey(.page, request, context)
        let page: ByteBuffer
        let hit: Bool
        if let cached = cache.lookup(caller.store.slug, key: key) {
            page = cached
            hit = true
        } else {
            hit = false
            let token = cache.token(caller.store.slug)
            do {
                page = ByteBuffer(string: try await render(caller))
            } catch let error as LumoraError where error.status == .notFound {
                return try pages.errorPage(.notFound, title: "Not found", message: error.message, context: context)
            }
            cache.insert(caller.store.slug, key: key, body: page, token: token)
        }
        let personal = Self.personalise(page, hit: hit, session: session, host: context.host, secure: context.isSecure, csrf: csrf)
        return Response(status: .ok, headers: personal.headers, body: .init(byteBuffer: personal.body))
    }

    /// A page for one visitor: their CSRF token and cart count in place of the placeholders,
    /// the page headers, and a session cookie when they are new.
    static func personalise(_ page: ByteBuffer, hit: Bool, session: Session, host: String, secure: Bool,
                            csrf: CSRFTokens) -> (headers: HTTPFields, body: ByteBuffer) {
        var headers = HTTPFields()
        headers.reserveCapacity(10)
        headers.append(htmlContentType)
        headers.append(noCache)
        headers.append(hit ? pageCacheHit : pageCacheMiss)
        session.stamp(&headers, secure: secure)
        let withToken = csrf.substitute(in: page, token: csrf.token(host: host, session: session))
        return (headers, CartCount.substitute(in: withToken, count: session.cartItems))
    }

    static let htmlContentType = HTTPField(name: .contentType, value: "text/html; charset=utf-8")
    static let noCache = HTTPField(name: .cacheControl, value: "no-cache")
    static let pageCacheHit = HTTPField(name: HTTPField.Name("x-lumora-page-cache")!, value: "hit")
    static let pageCacheMiss = HTTPField(name: HTTPField.Name("x-lumora-page-cache")!, value: "miss")

    /// What a cache entry holds: a page is personalised per visitor, an asset served as it is.
    enum CachedKind: String {
        case page, asset
    }

    /// `<kind> <scheme> <internal target>`: entries differ by what they are, by scheme (their
    /// canonical links) and by address.
    static func cacheKey(_ kind: CachedKind, scheme: String, target: String) -> String {
        var key = kind.rawValue
        key.reserveCapacity(key.utf8.count + scheme.utf8.count + target.utf8.count + 2)
        key += " "
        key += scheme
        key += " "
        key += target
        return key
    }

    static func cacheKey(_ kind: CachedKind, _ request: Request, _ context: EdgeRequestContext) -> String {
        cacheKey(kind, scheme: context.scheme, target: request.uri.description)
    }

    /// A cached non-HTML response (sitemap, theme, icon): the same for every visitor.
    private func cachedResponse(_ request: Request, _ context: EdgeRequestContext, contentType: String,
                                render: (CellCaller) async throws -> String) async throws -> Response {
        let caller = try requireStore(context)
        let key = Self.cacheKey(.asset, request, context)
        let body: ByteBuffer
        if let cached = cache.lookup(caller.store.slug, key: key) {
            body = cached
        } else {
            let token = cache.token(caller.store.slug)
            body = ByteBuffer(string: try await render(caller))
            cache.insert(caller.store.slug, key: key, body: body, token: token)
        }
        return Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "public, max-age=300"], body: .init(byteBuffer: body))
    }

    func currentCart(_ caller: CellCaller, session: Session) async throws -> CartWire? {
        guard let cartID = session.cartID else { return nil }
        do {
            let cart = try await cells.json(Single<CartWire>.self, .GET, RequestTarget.path("store", "carts", cartID), as: caller).value
            return cart.completedAt == nil ? cart : nil
        } catch let error as LumoraError where error.code == "cart_not_found" {
            return nil
        }
    }

    /// Runs `body` with the visitor's cart, making a new cart when there is none (or it is
    /// spent); returns the cart id used.
    private func withCart(_ caller: CellCaller, cartID: String?, _ body: (String) async throws -> Void) async throws -> String {
        if let cartID {
            do {
                try await body(cartID)
                return cartID
            } catch let error as LumoraError where error.code == "cart_not_found" || error.code == "cart_completed" {}
        }
        let fresh = try await cells.json(Single<CartWire>.self, .POST, RequestTarget.path("store", "carts"), as: caller).value.id
        try await body(fresh)
        return fresh
    }

    private func changeLine(_ request: Request, _ context: EdgeRequestContext,
                            _ change: (CellCaller, String, FormFields) async throws -> Void) async throws -> Response {
        let caller = try requireStore(context)
        let session = Session(request: request)
        let form = try await FormFields(request, limit: maximumBodySize)
        try csrf.verify(form["csrf"], host: context.host, session: session)
        guard let cartID = session.cartID else { return Response(status: .seeOther, headers: [.location: "/cart"]) }
        do {
            try await change(caller, cartID, form)
            return Response(status: .seeOther, headers: [.location: "/cart"])
        } catch let error as LumoraError where error.httpStatusCode < 500 {
            return try await cartPage(caller, context: context, session: session, cart: try? await currentCart(caller, session: session),
                                      notice: Self.notice(for: error), status: HTTPResponse.Status(code: error.httpStatusCode))
        }
    }

    private func cartPage(_ caller: CellCaller, context: EdgeRequestContext, session: Session, cart: CartWire?, notice: String?,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        let settings = try await settings(caller)
        let itemCount = cart?.itemCount ?? 0
        let view = StoreView.from(settings, route: caller.store, cartCount: itemCount)
        let token = csrf.token(host: context.host, session: session)
        let items = (cart?.items ?? []).map { line in
            CartLineView(id: line.id, title: line.productTitle, variant: line.variantTitle, url: "/products/\(line.productHandle)",
                         image: Presentable.url(line.thumbnail) ?? Presentable.placeholderImage, quantity: line.quantity,
                         unitPrice: line.unitPrice.formatted, total: line.total.formatted, csrf: token)
        }
        var response = try pages.html("cart", CartPage(
            meta: meta(context, path: nil, title: "Cart — \(view.name)", description: "Your cart at \(view.name).", image: nil, settings: settings),
            store: view, items: items, hasItems: !items.isEmpty, discounts: DiscountView.list(cart?.discounts ?? []),
            total: cart?.total.formatted ?? "", notice: notice), status: status)
        response.headers[.cacheControl] = "no-store"
        session.stamp(&response, secure: context.isSecure)
        if itemCount != session.cartItems {
            // The count cached pages show in the header, from now on.
            response.headers.append(HTTPField(name: .setCookie, value: Session.cookie(Session.cartItemsCookie, String(itemCount), secure: context.isSecure)))
        }
        return response
    }

    /// What a shopper is told when the store refuses something.
    static func notice(for error: LumoraError) -> String {
        switch error.code {
        case "out_of_stock": return "Sorry — something in your cart is no longer available in that quantity. " + error.message
        case "invalid_quantity": return "Please choose a quantity from 1 to 1000."
        case "variant_not_found": return "Please choose an option that is still for sale."
        case "invalid_email": return "Please enter a valid e-mail address."
        case "invalid_address": return "Please complete the shipping address: " + error.message
        case "cart_empty": return "Your cart is empty."
        case "no_shipping_zone": return "Sorry — this store does not ship to that country. Please choose another address."
        case "no_shipping_rate": return "Sorry — no shipping option of this store fits this order for that address."
        case "shipping_option_required": return "Please choose how your order should be shipped."
        case "shipping_option_unavailable": return "That shipping option is not available for your address; please choose another."
        case "payment_unavailable": return "The payment service is not answering right now. Your cart is unchanged — please try again in a moment."
        case "invalid_test_card": return "Please use one of the test cards listed below."
        default: return error.message
        }
    }

    static func xmlEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// A stable (not per-process seeded) 64-bit FNV-1a hash, for idempotency keys.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func combine(_ text: String) {
        for byte in text.utf8 + [0] {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
    }
}

extension Array {
    var nonEmpty: Self? { isEmpty ? nil : self }
}
