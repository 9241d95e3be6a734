import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraHTTP
import LumoraWire
import NIOHTTP1

/// The store pages the cell's admin API answers: overview, products, collections, orders,
/// settings (and, in their own files, pictures and checkout). Each call is signed by the edge for the store and names the person and their role
/// (`x-lumora-actor`), which the cell checks again. A refused form comes back filled, each
/// error next to its field; the cell writes nothing of a refused request.
struct StorePages: Sendable {
    let dashboard: Dashboard

    func add(to group: RouterGroup<EdgeRequestContext>) {
        group.get("stores/:slug", use: overview)
        group.get("stores/:slug/products", use: products)
        group.get("stores/:slug/products/new", use: newProduct)
        group.post("stores/:slug/products", use: createProduct)
        group.get("stores/:slug/products/:id", use: product)
        group.post("stores/:slug/products/:id", use: updateProduct)
        group.post("stores/:slug/products/:id/publish", use: publish)
        group.post("stores/:slug/products/:id/unpublish", use: unpublish)
        group.post("stores/:slug/products/:id/delete", use: deleteProduct)
        group.post("stores/:slug/products/:id/variants", use: addVariant)
        group.post("stores/:slug/products/:id/variants/:variant", use: updateVariant)
        group.post("stores/:slug/products/:id/variants/:variant/delete", use: deleteVariant)
        group.get("stores/:slug/collections", use: collections)
        group.post("stores/:slug/collections", use: createCollection)
        group.post("stores/:slug/collections/:id/delete", use: deleteCollection)
        group.get("stores/:slug/orders", use: orders)
        group.get("stores/:slug/orders/:id", use: order)
        group.post("stores/:slug/orders/:id/fulfil", use: fulfil)
        group.post("stores/:slug/orders/:id/cancel", use: cancel)
        group.post("stores/:slug/orders/:id/mark-paid", use: markPaid)
        group.post("stores/:slug/orders/:id/refund", use: refund)
        group.get("stores/:slug/settings", use: settings)
        group.post("stores/:slug/settings", use: saveSettings)
        addPictures(to: group)
        addCheckout(to: group)
    }

    // MARK: Calling the cell

    func caller(_ member: Dashboard.Member, _ visit: Dashboard.Visit) -> CellCaller {
        CellCaller(store: member.route, visitor: visit.context.visitor, actor: member.actor)
    }

    func admin<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ target: RequestTarget, _ member: Dashboard.Member,
                                     _ visit: Dashboard.Visit, body: (some Encodable)? = Optional<Int>.none) async throws -> T {
        guard !member.isOpening else {
            throw LumoraError(.unavailable, code: "store_opening", message: "\(member.membership.store.name) is still being set up. Please reload in a few seconds.")
        }
        return try await dashboard.cells.json(T.self, method, target, as: caller(member, visit), body: body)
    }

    static func adminPath(_ segments: String...) -> RequestTarget {
        .path(["admin"] + segments)
    }

    func base(_ member: Dashboard.Member) -> String { "/stores/\(member.slug)" }

    /// A dashboard address with a segment that came from the visitor's URL (an id), encoded.
    func path(_ member: Dashboard.Member, _ segments: String...) -> RequestTarget {
        .path(["stores", member.slug] + segments)
    }

    // MARK: Overview

    @Sendable func overview(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .orders) else { return dashboard.redirectToLogin(visit) }
        // A store that opens this very moment has nothing to show yet: the page says so.
        let summary = member.isOpening
            ? OverviewWire(ordersToday: 0, revenueToday: .zero(member.route.currency), pendingOrders: 0, lowStock: [], lowStockThreshold: 0, recentOrders: [])
            : try await admin(OverviewWire.self, .GET, Self.adminPath("overview"), member, visit)
        let page = OverviewPage(
            chrome: dashboard.chrome(member, visit: visit, area: "Overview"),
            ordersToday: summary.ordersToday, revenueToday: summary.revenueToday.formatted, pendingOrders: summary.pendingOrders,
            lowStock: summary.lowStock.map {
                .init(product: $0.productTitle, variant: $0.variantTitle, available: $0.available, url: "\(base(member))/products/\($0.productId)")
            },
            hasLowStock: !summary.lowStock.isEmpty,
            recent: summary.recentOrders.map {
                .init(number: $0.displayId, email: $0.email, total: $0.total.formatted, status: $0.status, url: "\(base(member))/orders/\($0.id)")
            },
            hasRecent: !summary.recentOrders.isEmpty)
        return try dashboard.page("dashboard/overview", page, visit: visit)
    }

    // MARK: Products

    @Sendable func products(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        let parameters = request.uri.queryParameters
        let query = parameters.get("q") ?? ""
        let status = ["draft", "published"].contains(parameters.get("status") ?? "") ? parameters.get("status")! : "all"
        let offset = max(0, Int(parameters.get("offset") ?? "") ?? 0)
        let limit = 25
        let target = Self.adminPath("products").query("status", status == "all" ? "all" : status)
            .query("q", query.isEmpty ? nil : query).query("limit", limit).query("offset", offset)
        let listed = try await admin(Page<ProductWire>.self, .GET, target, member, visit)
        func link(status: String, offset: Int) -> String {
            RequestTarget.path("stores", member.slug, "products").query("q", query.isEmpty ? nil : query)
                .query("status", status == "all" ? nil : status).query("offset", offset == 0 ? nil : String(offset)).text
        }
        let page = ProductListPage(
            chrome: dashboard.chrome(member, visit: visit, area: "Products"), baseURL: base(member), query: query,
            filters: [("All", "all"), ("Published", "published"), ("Drafts", "draft")].map {
                .init(title: $0.0, url: link(status: $0.1, offset: 0), selected: status == $0.1)
            },
            products: listed.items.map { product in
                .init(title: product.title, handle: product.handle, status: product.status, price: Self.priceLabel(product.variants),
                      stock: String(product.variants.reduce(0) { $0 + $1.available }), url: "\(base(member))/products/\(product.id)")
            },
            hasProducts: !listed.items.isEmpty,
            emptyMessage: query.isEmpty && status == "all" ? "No products yet. Add the first one." : "No products match.",
            previousURL: offset > 0 ? link(status: status, offset: max(0, offset - limit)) : nil,
            nextURL: offset + limit < listed.count ? link(status: status, offset: offset + limit) : nil)
        return try dashboard.page("dashboard/products", page, visit: visit)
    }

    @Sendable func newProduct(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        let draft = ProductDraft(form: nil)
        return try await productForm(member, visit: visit, product: nil, draft: draft, errors: [:])
    }

    /// One request to the cell with every variant: the product is made whole or not at all.
    @Sendable func createProduct(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let draft = ProductDraft(form: form)
        var errors = draft.errors(currency: member.route.currency)
        if errors.isEmpty {
            do {
                let created = try await admin(Single<ProductWire>.self, .POST, Self.adminPath("products"), member, visit,
                                              body: draft.createRequest(currency: member.route.currency))
                return Dashboard.redirect("\(base(member))/products/\(created.value.id)?done=saved")
            } catch let error as LumoraError where ProductDraft.isFieldError(error) {
                errors[ProductDraft.field(for: error)] = error.message
            }
        }
        return try await productForm(member, visit: visit, product: nil, draft: draft, errors: errors, status: .unprocessableContent)
    }

    @Sendable func product(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        let product = try await loadProduct(member, visit, context)
        return try await productForm(member, visit: visit, product: product, draft: ProductDraft(product: product), errors: [:],
                                     saved: request.uri.queryParameters.get("done") == "saved")
    }

    @Sendable func updateProduct(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let product = try await loadProduct(member, visit, context)
        let draft = ProductDraft(form: form)
        var errors = draft.errors(currency: member.route.currency, checkingVariants: false)
        if errors.isEmpty {
            do {
                _ = try await admin(Single<ProductWire>.self, .POST, Self.adminPath("products", product.id), member, visit, body: draft.updateRequest())
                return Dashboard.redirect("\(base(member))/products/\(product.id)?done=saved")
            } catch let error as LumoraError where ProductDraft.isFieldError(error) {
                errors[ProductDraft.field(for: error)] = error.message
            }
        }
        return try await productForm(member, visit: visit, product: product, draft: draft, errors: errors, status: .unprocessableContent)
    }

    @Sendable func publish(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await productAction(request, context) { member, visit, id in
            _ = try await admin(Single<ProductWire>.self, .POST, Self.adminPath("products", id, "publish"), member, visit, body: AccountsClient.NoBody())
            return path(member, "products", id).query("done", "saved").text
        }
    }

    @Sendable func unpublish(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await productAction(request, context) { member, visit, id in
            _ = try await admin(Single<ProductWire>.self, .POST, Self.adminPath("products", id, "unpublish"), member, visit, body: AccountsClient.NoBody())
            return path(member, "products", id).query("done", "saved").text
        }
    }

    @Sendable func deleteProduct(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await productAction(request, context) { member, visit, id in
            _ = try await admin(Deleted.self, .DELETE, Self.adminPath("products", id), member, visit)
            return "\(base(member))/products"
        }
    }

    /// The add-an-option form: the product's other variants stay as they are.
    @Sendable func addVariant(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let product = try await loadProduct(member, visit, context)
        let variant = ProductDraft.VariantDraft(form: form, index: 1)
        var errors = variant.errors(currency: member.route.currency, required: true).mapKeys { "add_\($0)" }
        if errors.isEmpty, let body = variant.request(currency: member.route.currency) {
            do {
                _ = try await admin(Single<ProductWire>.self, .POST, Self.adminPath("products", product.id, "variants"), member, visit, body: body)
                return Dashboard.redirect("\(base(member))/products/\(product.id)?done=saved")
            } catch let error as LumoraError where ProductDraft.isFieldError(error) {
                errors["add_" + ProductDraft.variantField(for: error)] = error.message
            }
        }
        var draft = ProductDraft(product: product)
        draft.added = variant
        return try await productForm(member, visit: visit, product: product, draft: draft, errors: errors, status: .unprocessableContent)
    }

    /// A variant's price and stock: the stock form says how many it showed, so the change is
    /// the difference (a sale since the page was shown is not undone).
    @Sendable func updateVariant(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let product = try await loadProduct(member, visit, context)
        let variantID = try context.parameters.require("variant")
        guard let variant = product.variants.first(where: { $0.id == variantID }) else {
            throw LumoraError.notFound("variant_not_found", "That option is not part of this product.")
        }
        var errors: [String: String] = [:]
        let price = Money(parsing: form["price"] ?? "", currency: member.route.currency)
        if price == nil { errors["variant_\(variant.id)"] = "Enter the price as a number, like 19.99." }
        let stocked = Int64((form["stocked"] ?? "").trimmingASCIIWhitespace())
        if stocked == nil || stocked! < 0 { errors["variant_\(variant.id)"] = "Enter the stock as a whole number, 0 or more." }
        if errors.isEmpty, let price, let stocked {
            do {
                if price != variant.price {
                    _ = try await admin(Single<ProductWire>.self, .POST, Self.adminPath("products", product.id, "variants", variant.id), member, visit,
                                        body: UpdateVariantRequest(price: price))
                }
                let shown = variant.stocked ?? 0
                if stocked != shown {
                    _ = try await admin(Single<InventoryWire>.self, .POST, Self.adminPath("inventory", variant.id), member, visit,
                                        body: AdjustInventoryRequest(adjust: stocked - shown))
                }
                return Dashboard.redirect("\(base(member))/products/\(product.id)?done=saved")
            } catch let error as LumoraError where error.isFormRefusal {
                errors["variant_\(variant.id)"] = error.message
            }
        }
        return try await productForm(member, visit: visit, product: product, draft: ProductDraft(product: product), errors: errors,
                                     status: .unprocessableContent)
    }

    @Sendable func deleteVariant(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await productAction(request, context) { member, visit, id in
            _ = try await admin(Single<ProductWire>.self, .DELETE, Self.adminPath("products", id, "variants", try context.parameters.require("variant")),
                                member, visit)
            return path(member, "products", id).query("done", "saved").text
        }
    }

    private func productAction(_ request: Request, _ context: EdgeRequestContext,
                               _ action: (Dashboard.Member, Dashboard.Visit, String) async throws -> String) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        _ = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        return Dashboard.redirect(try await action(member, visit, try context.parameters.require("id")))
    }

    func loadProduct(_ member: Dashboard.Member, _ visit: Dashboard.Visit, _ context: EdgeRequestContext) async throws -> ProductWire {
        try await admin(Single<ProductWire>.self, .GET, Self.adminPath("products", try context.parameters.require("id")), member, visit).value
    }

    func productForm(_ member: Dashboard.Member, visit: Dashboard.Visit, product: ProductWire?, draft: ProductDraft,
                             errors: [String: String], saved: Bool = false, status: HTTPResponse.Status = .ok) async throws -> Response {
        let collections = try await admin(CollectionList.self, .GET, Self.adminPath("collections"), member, visit).collections
        let base = base(member)
        let productURL = product.map { "\(base)/products/\($0.id)" }
        let page = ProductFormPage(
            chrome: dashboard.chrome(member, visit: visit, area: "Products", notice: errors["form"]),
            heading: product?.title ?? "New product", isNew: product == nil, action: productURL ?? "\(base)/products",
            title: FieldView(draft.title, error: errors["title"]), handle: FieldView(draft.handle, error: errors["handle"]),
            description: FieldView(draft.description, error: errors["description"]), images: FieldView(draft.images, error: errors["images"]),
            published: draft.published,
            collections: collections.map { .init(handle: $0.handle, title: $0.title, selected: $0.handle == draft.collection) },
            noCollection: draft.collection.isEmpty,
            newVariants: product == nil ? draft.variants.enumerated().map { index, variant in
                variant.form(index: index + 1, errors: errors, prefix: "variant\(index + 1)_")
            } : [],
            variants: product?.variants.map { variant in
                .init(title: variant.title, sku: variant.sku ?? "", price: FieldView(variant.price.decimalText, error: errors["variant_\(variant.id)"]),
                      stocked: variant.stocked ?? 0, available: variant.available,
                      updateURL: "\(productURL!)/variants/\(variant.id)", deleteURL: "\(productURL!)/variants/\(variant.id)/delete",
                      removable: (product?.variants.count ?? 0) > 1)
            } ?? [],
            addVariantURL: productURL.map { "\($0)/variants" },
            addVariant: product == nil ? nil : (draft.added ?? ProductDraft.VariantDraft()).form(index: 1, errors: errors, prefix: "add_"),
            publishURL: product.flatMap { $0.status == "published" ? nil : "\(productURL!)/publish" },
            unpublishURL: product.flatMap { $0.status == "published" ? "\(productURL!)/unpublish" : nil },
            storefrontURL: product.flatMap { $0.status == "published" ? member.membership.store.url + "products/" + $0.handle : nil },
            deleteURL: productURL.map { "\($0)/delete" },
            pictures: product.map { product in
                product.media.enumerated().map { index, picture in
                    ProductFormPage.PictureRow(
                        thumbnailURL: "\(base)/media/" + (picture.media.url(atLeast: 320).split(separator: "/").last.map(String.init) ?? ""),
                        alt: picture.alt, removeURL: "\(productURL!)/pictures/\(picture.media.id)/remove",
                        firstURL: index == 0 ? nil : "\(productURL!)/pictures/\(picture.media.id)/first")
                }
            } ?? [],
            pictureURL: productURL.map { "\($0)/pictures" }, pictureError: errors["pictures"], saved: saved)
        return try dashboard.page("dashboard/product", page, visit: visit, status: status)
    }

    static func priceLabel(_ variants: [VariantWire]) -> String {
        guard let lowest = variants.min(by: { $0.price.amount < $1.price.amount }) else { return "—" }
        return (variants.contains { $0.price.amount != lowest.price.amount } ? "from " : "") + lowest.price.formatted
    }

    // MARK: Collections

    struct CollectionList: Decodable { let collections: [CollectionWire] }

    @Sendable func collections(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        return try await collectionsPage(member, visit: visit, title: FieldView(), handle: FieldView())
    }

    @Sendable func createCollection(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let title = form["title"] ?? "", handle = form["handle"] ?? ""
        do {
            _ = try await admin(Single<CollectionWire>.self, .POST, Self.adminPath("collections"), member, visit,
                                body: CreateCollectionRequest(title: title, handle: handle.isEmpty ? Handle.suggested(from: title) : handle))
            return Dashboard.redirect("\(base(member))/collections")
        } catch let error as LumoraError where ProductDraft.isFieldError(error) {
            let onHandle = error.code.contains("handle")
            return try await collectionsPage(member, visit: visit, title: FieldView(title, error: onHandle ? nil : error.message),
                                             handle: FieldView(handle, error: onHandle ? error.message : nil), status: .unprocessableContent)
        }
    }

    @Sendable func deleteCollection(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        _ = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        _ = try await admin(Deleted.self, .DELETE, Self.adminPath("collections", try context.parameters.require("id")), member, visit)
        return Dashboard.redirect("\(base(member))/collections")
    }

    private func collectionsPage(_ member: Dashboard.Member, visit: Dashboard.Visit, title: FieldView, handle: FieldView,
                                 status: HTTPResponse.Status = .ok) async throws -> Response {
        let list = try await admin(CollectionList.self, .GET, Self.adminPath("collections"), member, visit).collections
        let page = CollectionsPage(
            chrome: dashboard.chrome(member, visit: visit, area: "Collections"), baseURL: base(member),
            collections: list.map { .init(title: $0.title, handle: $0.handle, deleteURL: "\(base(member))/collections/\($0.id)/delete") },
            hasCollections: !list.isEmpty, title: title, handle: handle)
        return try dashboard.page("dashboard/collections", page, visit: visit, status: status)
    }

    // MARK: Orders

    @Sendable func orders(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .orders) else { return dashboard.redirectToLogin(visit) }
        let parameters = request.uri.queryParameters
        let statuses = ["pending_payment", "paid", "fulfilled", "canceled", "refunded"]
        let status = statuses.contains(parameters.get("status") ?? "") ? parameters.get("status")! : "all"
        let offset = max(0, Int(parameters.get("offset") ?? "") ?? 0)
        let limit = 25
        let listed = try await admin(Page<OrderWire>.self, .GET, Self.adminPath("orders").query("status", status == "all" ? nil : status)
            .query("limit", limit).query("offset", offset), member, visit)
        func link(status: String, offset: Int) -> String {
            RequestTarget.path("stores", member.slug, "orders").query("status", status == "all" ? nil : status)
                .query("offset", offset == 0 ? nil : String(offset)).text
        }
        let page = OrderListPage(
            chrome: dashboard.chrome(member, visit: visit, area: "Orders"),
            filters: [("All", "all"), ("Awaiting payment", "pending_payment"), ("To fulfil", "paid"), ("Fulfilled", "fulfilled"),
                      ("Canceled", "canceled"), ("Refunded", "refunded")].map {
                .init(title: $0.0, url: link(status: $0.1, offset: 0), selected: status == $0.1)
            },
            orders: listed.items.map { order in
                .init(number: order.displayId, email: order.email, date: DashboardFormat.dateTime(order.createdAt),
                      items: order.items.reduce(0) { $0 + $1.quantity }, total: order.total.formatted, status: order.status,
                      url: "\(base(member))/orders/\(order.id)")
            },
            hasOrders: !listed.items.isEmpty,
            emptyMessage: status == "all" ? "No orders yet." : "No \(status.replacingOccurrences(of: "_", with: " ")) orders.",
            previousURL: offset > 0 ? link(status: status, offset: max(0, offset - limit)) : nil,
            nextURL: offset + limit < listed.count ? link(status: status, offset: offset + limit) : nil)
        return try dashboard.page("dashboard/orders", page, visit: visit)
    }

    @Sendable func order(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .orders) else { return dashboard.redirectToLogin(visit) }
        let order = try await admin(Single<OrderWire>.self, .GET, Self.adminPath("orders", try context.parameters.require("id")), member, visit).value
        return try orderPage(order, member: member, visit: visit, notice: nil)
    }

    @Sendable func fulfil(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await orderAction(request, context, "fulfil")
    }

    @Sendable func cancel(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await orderAction(request, context, "cancel")
    }

    @Sendable func markPaid(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await orderAction(request, context, "mark-paid")
    }

    /// A refund of the amount typed (everything left when it is empty).
    @Sendable func refund(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await orderAction(request, context, "refunds") { form, order throws(LumoraError) in
            let typed = (form["amount"] ?? "").trimmingASCIIWhitespace()
            var amount: Money?
            if !typed.isEmpty {
                guard let parsed = Money(parsing: typed, currency: order.total.currency) else {
                    throw LumoraError(.unprocessable, code: "invalid_refund_amount", message: "Type the amount to refund, such as 12.50.")
                }
                amount = parsed
            }
            let reason = (form["reason"] ?? "").trimmingASCIIWhitespace()
            return CreateRefundRequest(amount: amount, reason: reason.isEmpty ? nil : reason)
        }
    }

    private func orderAction(_ request: Request, _ context: EdgeRequestContext, _ action: String,
                             body makeBody: ((FormFields, OrderWire) throws(LumoraError) -> CreateRefundRequest)? = nil) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .orders) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let id = try context.parameters.require("id")
        do {
            if let makeBody {
                let order = try await admin(Single<OrderWire>.self, .GET, Self.adminPath("orders", id), member, visit).value
                _ = try await admin(Single<OrderWire>.self, .POST, Self.adminPath("orders", id, action), member, visit, body: try makeBody(form, order))
            } else {
                _ = try await admin(Single<OrderWire>.self, .POST, Self.adminPath("orders", id, action), member, visit, body: AccountsClient.NoBody())
            }
        } catch let error as LumoraError where error.status == .conflict || error.status == .unprocessable {
            let order = try await admin(Single<OrderWire>.self, .GET, Self.adminPath("orders", id), member, visit).value
            return try orderPage(order, member: member, visit: visit, notice: error.message, status: HTTPResponse.Status(code: error.httpStatusCode))
        }
        return Dashboard.redirect(path(member, "orders", id).text)
    }

    private func orderPage(_ order: OrderWire, member: Dashboard.Member, visit: Dashboard.Visit, notice: String?,
                           status: HTTPResponse.Status = .ok) throws -> Response {
        let address = order.shippingAddress
        let page = OrderPage(
            chrome: dashboard.chrome(member, visit: visit, area: "Orders", notice: notice),
            number: order.displayId, status: order.status, date: DashboardFormat.dateTime(order.createdAt), email: order.email,
            lines: order.items.map {
                .init(title: $0.productTitle, variant: $0.variantTitle, sku: $0.sku, quantity: $0.quantity,
                      unitPrice: $0.unitPrice.formatted, total: $0.total.formatted)
            },
            subtotal: order.subtotal.formatted, total: order.total.formatted,
            shipping: order.shippingMethod.map { "\($0): \(order.shippingTotal.formatted)" },
            tax: order.taxTotal.amount > 0 ? (order.taxIncluded ? "\(order.taxTotal.formatted) (included)" : order.taxTotal.formatted) : nil,
            refunded: order.refundedAmount.amount > 0 ? order.refundedAmount.formatted : nil,
            payment: order.payment.map { "\($0.provider) · \($0.status.replacingOccurrences(of: "_", with: " "))" },
            flag: order.flag,
            name: "\(address.firstName) \(address.lastName)",
            address: [address.address1, address.address2, "\(address.postalCode) \(address.city)", address.province, address.countryCode, address.phone]
                .compactMap { $0 }.filter { !$0.isEmpty },
            awaitingPayment: order.status == "pending_payment" && !member.isReadOnly,
            canFulfil: order.status == "paid" && !member.isReadOnly,
            canRefund: (order.status == "paid" || order.status == "fulfilled") && !member.isReadOnly,
            refundable: (try? order.total.subtracting(order.refundedAmount))?.decimalText ?? "",
            fulfilURL: "\(base(member))/orders/\(order.id)/fulfil", cancelURL: "\(base(member))/orders/\(order.id)/cancel",
            markPaidURL: "\(base(member))/orders/\(order.id)/mark-paid", refundURL: "\(base(member))/orders/\(order.id)/refund",
            backURL: "\(base(member))/orders")
        return try dashboard.page("dashboard/order", page, visit: visit, status: status)
    }

    // MARK: Settings

    @Sendable func settings(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .settings) else { return dashboard.redirectToLogin(visit) }
        return try await settingsPage(member, visit: visit, values: nil, errors: [:], saved: request.uri.queryParameters.get("done") == "saved")
    }

    /// One request: every field is saved, or (a refusal naming its field) none.
    @Sendable func saveSettings(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .settings) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let values = SettingsDraft(form)
        do {
            _ = try await admin(Single<SettingsWire>.self, .PUT, Self.adminPath("settings"), member, visit, body: values.request)
            return Dashboard.redirect("\(base(member))/settings?done=saved")
        } catch let error as LumoraError where error.isFormRefusal {
            return try await settingsPage(member, visit: visit, values: values, errors: [SettingsDraft.field(for: error): error.message], saved: false,
                                          status: .unprocessableContent)
        }
    }

    /// The settings form, with `values` as the merchant sent them (else as saved), the logo and
    /// how much of the store's image quota is in use.
    func settingsPage(_ member: Dashboard.Member, visit: Dashboard.Visit, values: SettingsDraft?, errors: [String: String], saved: Bool,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let settings = try await admin(Single<SettingsWire>.self, .GET, Self.adminPath("settings"), member, visit).value
        let values = values ?? SettingsDraft(settings)
        let usage = try await admin(MediaLibraryWire.self, .GET, Self.adminPath("media").query("limit", 1), member, visit).usage
        var codes = SettingsDraft.currencies
        if !codes.contains(values.currency) { codes.insert(values.currency, at: 0) }
        let page = SettingsPage(
            chrome: dashboard.chrome(member, visit: visit, area: "Settings", notice: errors["form"]), action: "\(base(member))/settings",
            name: FieldView(values.name, error: errors["name"]), description: FieldView(values.description, error: errors["description"]),
            logoURL: values.logoURL.map { FieldView($0, error: errors["logo_url"]) },
            primaryColor: FieldView(values.primaryColor, error: errors["primary_color"]),
            accentColor: FieldView(values.accentColor, error: errors["accent_color"]),
            currency: FieldView(values.currency, error: errors["currency"]),
            currencies: codes.map { .init(code: $0, selected: $0 == values.currency) },
            logoThumbnailURL: settings.logo.map { "\(base(member))/media/" + ($0.url(atLeast: 320).split(separator: "/").last.map(String.init) ?? "") },
            logoAction: "\(base(member))/settings/logo", logoError: errors["logo"],
            mediaUsage: "\(ByteCount.text(usage.usedBytes)) of \(ByteCount.text(usage.quotaBytes))", saved: saved)
        return try dashboard.page("dashboard/settings", page, visit: visit, status: status)
    }
}

extension Dictionary where Key == String {
    func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
