import Crypto
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraWire
import PostgresNIO

/// Checkout and orders of one store.
struct OrderRepository: Sendable {
    let scope: TenantScope
    let carts: CartRepository
    let logger: Logger

    struct Completion: Sendable {
        let order: OrderWire
        /// False when an earlier request already completed the cart (or used the key).
        let created: Bool
    }

    /// Completes a cart: reserves stock for every line and writes the order in one
    /// transaction. Stock is reserved with a guarded UPDATE, so it can never go negative and
    /// a variant that runs out fails the whole checkout (409 naming it). A cart completes at
    /// most once: a second attempt, or a retry with the same `Idempotency-Key`, gets the same
    /// order; the same key with a different request is refused.
    func complete(_ store: StoreSlug, cartID: String, _ request: CompleteCartRequest, idempotencyKey: String?) async throws -> Completion {
        try CartRepository.checkID(cartID)
        let email = try EmailAddress(validating: request.email).rawValue
        let address = try request.shippingAddress.validated()
        if let idempotencyKey, idempotencyKey.isEmpty || idempotencyKey.count > 200 {
            throw LumoraError.badRequest("invalid_idempotency_key", "Idempotency-Key must be 1 to 200 characters")
        }
        let addressJSON = String(decoding: try JSONWire.encoder.encode(address), as: UTF8.self)
        // From the fields, not the JSON text: the encoder does not promise a key order.
        let requestHash = Self.hash(([cartID, email] + address.canonicalFields).joined(separator: "\u{1F}"))

        return try await scope.withStore(store) { connection in
            if let idempotencyKey,
               let (orderID, hash) = try await connection.query(CellSQL.orderID(idempotencyKey: idempotencyKey), logger: logger)
                .collect((Int64, String?).self).first {
                guard hash == requestHash else {
                    throw LumoraError(.unprocessable, code: "idempotency_key_reused", message: "this Idempotency-Key was used for a different request")
                }
                return Completion(order: try await order(id: orderID, on: connection), created: false)
            }

            let cart = try await carts.cart(id: cartID, lockingForUpdate: true, on: connection)
            if cart.completedAt != nil {
                guard let (orderID, _) = try await connection.query(CellSQL.orderID(cartID: cartID), logger: logger).collect((Int64, String?).self).first else {
                    throw LumoraError.internalError("a completed cart without an order")
                }
                return Completion(order: try await order(id: orderID, on: connection), created: false)
            }
            guard !cart.items.isEmpty else {
                throw LumoraError(.unprocessable, code: "cart_empty", message: "the cart has no items")
            }

            // Lock inventory rows in one order (by variant) so concurrent checkouts cannot deadlock.
            let lines = try cart.items.map { item throws(LumoraError) in (item, try ResourceID.variant.parse(item.variantId)) }
                .sorted { $0.1 < $1.1 }
            for (item, variantID) in lines {
                guard try await connection.query(CellSQL.reserve(variantID: variantID, quantity: item.quantity), logger: logger).hasRows() else {
                    let stock = try await connection.query(CellSQL.inventory(variantID: variantID), logger: logger).collect((Int64, Int64).self).first
                    let available: Int64 = stock.map { max(0, $0.0 - $0.1) } ?? 0
                    throw LumoraError.conflict("out_of_stock", "only \(available) of '\(item.productTitle) / \(item.variantTitle)' (\(item.variantId)) left; the cart asks for \(item.quantity)")
                }
            }
            let orderID = try await connection.query(
                CellSQL.insertOrder(cartID: cartID, email: email, shippingAddress: addressJSON, currency: cart.currency,
                                    subtotal: cart.subtotal.amount, total: cart.total.amount,
                                    idempotencyKey: idempotencyKey, requestHash: requestHash), logger: logger
            ).collect(Int64.self)[0]
            for (item, variantID) in lines {
                try await connection.run(CellSQL.insertOrderLine(
                    orderID: orderID, variantID: variantID, productTitle: item.productTitle, variantTitle: item.variantTitle,
                    sku: item.sku, quantity: item.quantity, unitPrice: item.unitPrice.amount, total: item.total.amount), logger: logger)
            }
            try await connection.run(CellSQL.completeCart(id: cartID, email: email), logger: logger)
            return Completion(order: try await order(id: orderID, on: connection), created: true)
        }
    }

    func order(ofCart cartID: String, store: StoreSlug) async throws -> OrderWire {
        try CartRepository.checkID(cartID)
        return try await scope.withStore(store) { connection in
            guard let (orderID, _) = try await connection.query(CellSQL.orderID(cartID: cartID), logger: logger).collect((Int64, String?).self).first else {
                throw LumoraError.notFound("order_not_found", "this cart has not been checked out")
            }
            return try await order(id: orderID, on: connection)
        }
    }

    /// Newest first; `status` (pending, fulfilled, canceled) narrows them.
    func list(_ store: StoreSlug, status: String? = nil, page: Pagination) async throws -> Page<OrderWire> {
        try await scope.withStore(store) { connection in
            let rows = try await connection.query(CellSQL.orders(status: status, limit: page.limit, offset: page.offset), logger: logger)
                .collect((Int64, String, String, String, String, Int64, Int64, String, Date, Date, Int).self)
            let orders = try await build(rows.map { ($0.0, $0.1, $0.2, $0.3, $0.4, $0.5, $0.6, $0.7, $0.8, $0.9) }, on: connection)
            return Page(key: "orders", items: orders, count: rows.first?.10 ?? 0, limit: page.limit, offset: page.offset)
        }
    }

    func get(_ store: StoreSlug, id: Int64) async throws -> OrderWire {
        try await scope.withStore(store) { connection in try await order(id: id, on: connection) }
    }

    /// pending → fulfilled: the reserved units leave stock.
    func fulfil(_ store: StoreSlug, id: Int64) async throws -> OrderWire {
        try await transition(store, id: id, to: "fulfilled", moveStock: CellSQL.shipReservation(orderID: id))
    }

    /// pending → canceled: the reserved units become available again.
    func cancel(_ store: StoreSlug, id: Int64) async throws -> OrderWire {
        try await transition(store, id: id, to: "canceled", moveStock: CellSQL.releaseReservation(orderID: id))
    }

    private func transition(_ store: StoreSlug, id: Int64, to status: String, moveStock: PostgresQuery) async throws -> OrderWire {
        try await scope.withStore(store) { connection in
            let current = try await order(id: id, forUpdate: true, on: connection)
            guard current.status == "pending" else {
                throw LumoraError.conflict("order_\(current.status)", "the order is already \(current.status)")
            }
            try await connection.run(moveStock, logger: logger)
            try await connection.run(CellSQL.setOrderStatus(id: id, status: status), logger: logger)
            return try await order(id: id, on: connection)
        }
    }

    private typealias OrderRow = (Int64, String, String, String, String, Int64, Int64, String, Date, Date)

    private func order(id: Int64, forUpdate: Bool = false, on connection: PostgresConnection) async throws -> OrderWire {
        let rows = try await connection.query(CellSQL.order(id: id, forUpdate: forUpdate), logger: logger)
            .collect((Int64, String, String, String, String, Int64, Int64, String, Date, Date).self)
        guard let order = try await build(rows, on: connection).first else {
            throw ResourceID.order.notFound(ResourceID.order.format(id))
        }
        return order
    }

    private func build(_ rows: [OrderRow], on connection: PostgresConnection) async throws -> [OrderWire] {
        guard !rows.isEmpty else { return [] }
        var lines: [Int64: [OrderLineWire]] = [:]
        var currencies: [Int64: CurrencyCode] = [:]
        for row in rows { currencies[row.0] = try CurrencyCode(validating: row.4) }
        for (lineID, orderID, variantID, productTitle, variantTitle, sku, quantity, unit, total)
            in try await connection.query(CellSQL.orderLines(orderIDs: rows.map(\.0)), logger: logger)
            .collect((Int64, Int64, Int64?, String, String, String?, Int, Int64, Int64).self) {
            let currency = currencies[orderID] ?? .usd
            lines[orderID, default: []].append(OrderLineWire(
                id: "oitem_\(lineID)", variantId: variantID.map(ResourceID.variant.format), productTitle: productTitle,
                variantTitle: variantTitle, sku: sku, quantity: quantity,
                unitPrice: Money(amount: unit, currency: currency), total: Money(amount: total, currency: currency)))
        }
        return try rows.map { id, cartID, email, addressJSON, currencyCode, subtotal, total, status, created, updated in
            let currency = try CurrencyCode(validating: currencyCode)
            return OrderWire(
                id: ResourceID.order.format(id), displayId: id, cartId: cartID, email: email,
                shippingAddress: try JSONWire.decoder.decode(ShippingAddress.self, from: Data(addressJSON.utf8)),
                status: status, currency: currency.code, items: lines[id] ?? [],
                subtotal: Money(amount: subtotal, currency: currency), shippingTotal: .zero(currency), taxTotal: .zero(currency),
                total: Money(amount: total, currency: currency), createdAt: created, updatedAt: updated)
        }
    }

    static func hash(_ text: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(text.utf8)))
    }
}
