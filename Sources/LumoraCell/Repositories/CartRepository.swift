import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraWire
import PostgresNIO

/// Carts of one store. A cart's id is its secret: 32 random bytes, unguessable; whoever holds
/// it can use the cart (the edge keeps it in an HttpOnly cookie).
struct CartRepository: Sendable {
    let scope: TenantScope
    let plugins: PluginRunner
    let logger: Logger

    static let maximumLines = 100

    func create(_ store: StoreSlug, currency: CurrencyCode) async throws -> CartWire {
        let id = Self.newCartID()
        return try await scope.withStore(store) { connection in
            try await connection.run(CellSQL.insertCart(id: id, currency: currency.code), logger: logger)
            return try await cart(store, id: id, lockingForUpdate: false, on: connection)
        }
    }

    func get(_ store: StoreSlug, id: String) async throws -> CartWire {
        try Self.checkID(id)
        return try await scope.withStore(store) { connection in
            try await cart(store, id: id, lockingForUpdate: false, on: connection)
        }
    }

    func addLine(_ store: StoreSlug, cartID: String, _ request: AddLineItemRequest) async throws -> CartWire {
        try Self.checkID(cartID)
        let quantity = try Validate.quantity(request.quantity)
        let variantID = try ResourceID.variant.parse(request.variantId)
        return try await scope.withStore(store) { connection in
            let cart = try await openCart(store, cartID, on: connection)
            guard let currency = try await connection.query(CellSQL.purchasableVariant(id: variantID), logger: logger).collect(String.self).first else {
                throw ResourceID.variant.notFound(request.variantId)
            }
            guard currency == cart.currency else {
                throw LumoraError(.unprocessable, code: "currency_mismatch", message: "the variant is priced in \(currency), the cart in \(cart.currency)")
            }
            let existing = cart.items.first { $0.variantId == request.variantId }
            guard (existing?.quantity ?? 0) + quantity <= 1000 else {
                throw LumoraError(.unprocessable, code: "quantity_limit", message: "at most 1000 of one variant per cart")
            }
            guard existing != nil || cart.items.count < Self.maximumLines else {
                throw LumoraError(.unprocessable, code: "cart_full", message: "a cart holds at most \(Self.maximumLines) different variants")
            }
            try await connection.run(CellSQL.addLine(cartID: cartID, variantID: variantID, quantity: quantity), logger: logger)
            try await connection.run(CellSQL.touchCart(id: cartID), logger: logger)
            return try await self.cart(store, id: cartID, lockingForUpdate: false, on: connection)
        }
    }

    func updateLine(_ store: StoreSlug, cartID: String, lineID: String, _ request: UpdateLineItemRequest) async throws -> CartWire {
        try Self.checkID(cartID)
        let quantity = try Validate.quantity(request.quantity)
        let line = try ResourceID.lineItem.parse(lineID)
        return try await scope.withStore(store) { connection in
            _ = try await openCart(store, cartID, on: connection)
            guard try await connection.query(CellSQL.setLineQuantity(cartID: cartID, lineID: line, quantity: quantity), logger: logger).hasRows() else {
                throw ResourceID.lineItem.notFound(lineID)
            }
            try await connection.run(CellSQL.touchCart(id: cartID), logger: logger)
            return try await cart(store, id: cartID, lockingForUpdate: false, on: connection)
        }
    }

    func deleteLine(_ store: StoreSlug, cartID: String, lineID: String) async throws -> CartWire {
        try Self.checkID(cartID)
        let line = try ResourceID.lineItem.parse(lineID)
        return try await scope.withStore(store) { connection in
            _ = try await openCart(store, cartID, on: connection)
            guard try await connection.query(CellSQL.deleteLine(cartID: cartID, lineID: line), logger: logger).hasRows() else {
                throw ResourceID.lineItem.notFound(lineID)
            }
            try await connection.run(CellSQL.touchCart(id: cartID), logger: logger)
            return try await cart(store, id: cartID, lockingForUpdate: false, on: connection)
        }
    }

    /// The cart, locked, before a change; refuses a completed one (its lines belong to an order
    /// now). Its plugins are not asked: the cart is priced again after the change.
    private func openCart(_ store: StoreSlug, _ id: String, on connection: PostgresConnection) async throws -> CartWire {
        let cart = try await priced(store, id: id, lockingForUpdate: true, askingPlugins: false, on: connection).wire
        guard cart.completedAt == nil else {
            throw LumoraError.conflict("cart_completed", "this cart has been checked out; start a new cart")
        }
        return cart
    }

    /// A cart as checkout sees it: the wire form, and what it costs where it ships.
    struct Priced: Sendable {
        let wire: CartWire
        let pricing: CartPricing
        let weights: [Int64]
    }

    /// Loads a cart with its lines and server-computed totals.
    func cart(_ store: StoreSlug, id: String, lockingForUpdate: Bool, on connection: PostgresConnection) async throws -> CartWire {
        try await priced(store, id: id, lockingForUpdate: lockingForUpdate, on: connection).wire
    }

    /// `askingPlugins`: run the store's cart.discounts and shipping.rates plugins (inside this
    /// transaction, so what they see is what checkout charges).
    func priced(_ store: StoreSlug, id: String, lockingForUpdate: Bool, askingPlugins: Bool = true,
                on connection: PostgresConnection) async throws -> Priced {
        let rows = try await connection.query(CellSQL.cart(id: id, forUpdate: lockingForUpdate), logger: logger)
            .collect((String, String, String?, String?, Int64?, Date?, Date, Date, String?).self)
        guard let (cartID, currencyCode, email, addressJSON, rateRow, completedAt, createdAt, updatedAt, rateCode) = rows.first else {
            throw LumoraError.notFound("cart_not_found", "no such cart")
        }
        let currency = try CurrencyCode(validating: currencyCode)
        let address = try addressJSON.map { try JSONWire.decoder.decode(ShippingAddress.self, from: Data($0.utf8)) }
        var lines: [(LineItemWire, Int64)] = []
        for (lineID, variantID, quantity, variantTitle, sku, price, priceCurrency, productID, productTitle, handle, images, available, weight)
            in try await connection.query(CellSQL.cartLines(cartID: cartID), logger: logger)
            .collect((Int64, Int64, Int, String, String?, Int64, String, Int64, String, String, [String], Int64, Int64).self) {
            let unit = Money(amount: price, currency: try CurrencyCode(validating: priceCurrency))
            let total = try unit.multiplied(by: Int64(quantity))
            lines.append((LineItemWire(
                id: ResourceID.lineItem.format(lineID), variantId: ResourceID.variant.format(variantID),
                productId: ResourceID.product.format(productID), productTitle: productTitle, productHandle: handle,
                variantTitle: variantTitle, sku: sku, thumbnail: images.first, quantity: quantity,
                unitPrice: unit, total: total, available: max(0, available)), weight * Int64(quantity)))
        }
        let items = lines.map(\.0)
        let found = askingPlugins && !items.isEmpty
            ? try await plugins.discounts(store, cart: Self.pluginInput(store, cartID: cartID, currency: currency, email: email, items: items))
            : []
        let allocation = found.isEmpty ? nil : DiscountAllocation.apply(found, to: items.map(\.total.amount))
        let adjustRates: (([CartPricing.Option], ShippingAddress) async throws -> [CartPricing.Option])? = askingPlugins ? { options, address in
            try await adjustedRates(options, store: store, cartID: cartID, currency: currency, email: email, items: items, address: address)
        } : nil
        let pricing = try await CartPricing.price(lines: lines.map { ($0.0.total.amount, $0.1) }, lineDiscounts: allocation?.lineDiscounts ?? [],
                                                  address: address, chosenRate: CartPricing.RateKey(row: rateRow, code: rateCode), currency: currency, adjustRates: adjustRates,
                                                  on: connection, logger: logger)
        let totals = pricing.totals
        var wire = CartWire(
            id: cartID, currency: currency.code, email: email, items: lines.map(\.0), itemCount: lines.reduce(0) { $0 + $1.0.quantity },
            subtotal: Money(amount: totals.subtotal, currency: currency), shippingTotal: Money(amount: totals.shipping, currency: currency),
            taxTotal: Money(amount: totals.tax, currency: currency), total: Money(amount: totals.total, currency: currency),
            taxIncluded: totals.taxIncluded, shippingAddress: address, shippingOption: pricing.chosen.map(pricing.wire),
            shippingRequired: pricing.shippingRequired, completedAt: completedAt, createdAt: createdAt, updatedAt: updatedAt)
        wire.discountTotal = Money(amount: totals.discount, currency: currency)
        wire.discounts = allocation.map { allocation in
            zip(found, allocation.applied).compactMap { discount, amount in
                guard amount > 0 else { return nil }
                let lineID: String? = if case .line(let index) = discount.target { items[index].id } else { nil }
                return DiscountWire(title: discount.title, amount: Money(amount: amount, currency: currency), lineId: lineID)
            }
        } ?? []
        return Priced(wire: wire, pricing: pricing, weights: lines.map(\.1))
    }

    /// The rates the store's shipping.rates plugins offer of those that fit.
    private func adjustedRates(_ options: [CartPricing.Option], store: StoreSlug, cartID: String, currency: CurrencyCode, email: String?,
                               items: [LineItemWire], address: ShippingAddress) async throws -> [CartPricing.Option] {
        guard let answered = try await plugins.shippingRates(store, PluginShippingInput(
            cart: Self.pluginInput(store, cartID: cartID, currency: currency, email: email, items: items),
            destination: .init(countryCode: address.countryCode, province: address.province, postalCode: address.postalCode, city: address.city),
            rates: options.map { .init(id: $0.key.id, name: $0.name, amount: $0.amount) })) else { return options }
        return try answered.map { rate throws(LumoraError) in
            CartPricing.Option(key: try CartPricing.RateKey(parsing: rate.id), name: rate.name, amount: rate.amount)
        }
    }

    /// What cart.discounts and checkout.validate plugins are given (shipping.rates: with more;
    /// docs/PLUGINS.md).
    static func pluginInput(_ store: StoreSlug, cartID: String, currency: CurrencyCode, email: String?, items: [LineItemWire]) -> PluginCartInput {
        PluginCartInput(
            point: .cartDiscounts, apiVersion: ExtensionPoint.cartDiscounts.currentVersion, store: store, currency: currency,
            cart: .init(id: cartID, subtotal: items.reduce(0) { $0 &+ $1.total.amount }, itemCount: items.reduce(0) { $0 + $1.quantity },
                        lines: items.map { item in
                            .init(id: item.id, variantId: item.variantId, productId: item.productId, sku: item.sku,
                                  title: item.variantTitle.isEmpty || item.variantTitle == "Default" ? item.productTitle : "\(item.productTitle) / \(item.variantTitle)",
                                  quantity: item.quantity, unitPrice: item.unitPrice.amount, total: item.total.amount)
                        }),
            customer: .init(email: email))
    }

    // MARK: Checkout details

    /// Sets the e-mail and shipping address (each when given); a chosen shipping rate that no
    /// longer fits the address is dropped.
    func updateContact(_ store: StoreSlug, cartID: String, _ request: UpdateCartRequest) async throws -> CartWire {
        try Self.checkID(cartID)
        let email = try request.email.map { raw throws(LumoraError) in try EmailAddress(validating: raw).rawValue }
        let address = try request.shippingAddress.map { value throws(LumoraError) in try value.validated() }
        let addressJSON = try address.map { String(decoding: try JSONWire.encoder.encode($0), as: UTF8.self) }
        return try await scope.withStore(store) { connection in
            _ = try await openCart(store, cartID, on: connection)
            try await connection.run(CellSQL.setCartContact(id: cartID, email: email, address: addressJSON), logger: logger)
            let priced = try await priced(store, id: cartID, lockingForUpdate: false, on: connection)
            if priced.pricing.chosen == nil, try await hasChosenRate(cartID, on: connection) {
                try await connection.run(CellSQL.setCartShippingRate(id: cartID, rate: nil), logger: logger)
                return try await cart(store, id: cartID, lockingForUpdate: false, on: connection)
            }
            return priced.wire
        }
    }

    /// The shipping options for the cart's address, priced for this cart.
    func shippingOptions(_ store: StoreSlug, cartID: String) async throws -> [ShippingOptionWire] {
        try Self.checkID(cartID)
        return try await scope.withStore(store) { connection in
            let priced = try await priced(store, id: cartID, lockingForUpdate: false, on: connection)
            guard let address = priced.wire.shippingAddress else {
                throw LumoraError(.unprocessable, code: "address_required", message: "set the cart's shipping_address first")
            }
            if priced.pricing.shippingRequired, !priced.pricing.addressShips {
                throw LumoraError(.unprocessable, code: "no_shipping_zone", message: "this store does not ship to \(address.countryCode)")
            }
            return priced.pricing.options.map(priced.pricing.wire)
        }
    }

    func selectShipping(_ store: StoreSlug, cartID: String, _ request: SelectShippingRequest) async throws -> CartWire {
        try Self.checkID(cartID)
        let rate = try CartPricing.RateKey(parsing: request.optionId)
        return try await scope.withStore(store) { connection in
            let current = try await openCart(store, cartID, on: connection)
            guard current.shippingAddress != nil else {
                throw LumoraError(.unprocessable, code: "address_required", message: "set the cart's shipping_address first")
            }
            let priced = try await priced(store, id: cartID, lockingForUpdate: false, on: connection)
            guard priced.pricing.options.contains(where: { $0.key == rate }) else {
                throw LumoraError(.unprocessable, code: "shipping_option_unavailable", message: "'\(request.optionId.prefix(40))' is not an option for this cart's address")
            }
            try await connection.run(CellSQL.setCartShippingRate(id: cartID, rate: rate), logger: logger)
            return try await cart(store, id: cartID, lockingForUpdate: false, on: connection)
        }
    }

    private func hasChosenRate(_ cartID: String, on connection: PostgresConnection) async throws -> Bool {
        guard let (row, code) = try await connection.query(CellSQL.cartShippingRate(id: cartID), logger: logger)
            .collect((Int64?, String?).self).first else { return false }
        return row != nil || code != nil
    }

    static func newCartID() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return "cart_" + String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// A cart id that cannot be one of ours finds nothing (without asking the database).
    static func checkID(_ id: String) throws(LumoraError) {
        guard id.hasPrefix("cart_"), id.count == 37, id.dropFirst(5).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw LumoraError.notFound("cart_not_found", "no such cart")
        }
    }
}
