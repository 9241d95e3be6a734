import Crypto
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraWire
import PostgresNIO

/// An order about to be written: everything checkout decided.
struct NewOrder: Sendable {
    let cartID: String
    let email: String
    let shippingAddress: String
    let totals: CheckoutTotals
    /// The discounts as the shopper saw them: `[{"title","amount"}]`.
    let discountsJSON: String
    let shippingMethod: String?
    let provider: PaymentProviderKind
    /// Seconds an online payment may take before the order expires; nil for manual payment.
    let paymentWindowSeconds: Double?
    let idempotencyKey: String?
    let requestHash: String
}

/// Checkout and orders of one store: pending_payment → paid → fulfilled, or canceled, or
/// refunded. Every change of state is one transaction that also queues its mail.
struct OrderRepository: Sendable {
    let scope: TenantScope
    let carts: CartRepository
    let checkout: CheckoutRepository
    let payments: CellConfiguration.Payments
    /// Set when this cell offers Stripe.
    let stripe: StripeCheckout?
    let logger: Logger

    struct Completion: Sendable {
        let order: OrderWire
        /// False when an earlier request already completed the cart (or used the key).
        let created: Bool
    }

    /// Completes a cart: prices it where it ships, reserves stock for every line and writes the
    /// order in one transaction. Stock is reserved with a guarded UPDATE, so it can never go
    /// negative and a variant that runs out fails the whole checkout (409 naming it). A cart
    /// completes at most once: a second attempt, or a retry with the same `Idempotency-Key`,
    /// gets the same order; the same key with a different request is refused.
    ///
    /// An order paid on Stripe's page gets its session once the order is written (outside the
    /// transaction: no locks wait on Stripe); if Stripe cannot make one, the order is taken back
    /// and the cart is as it was.
    func complete(_ store: StoreSlug, cartID: String, _ request: CompleteCartRequest, idempotencyKey: String?) async throws -> Completion {
        let completion = try await place(store, cartID: cartID, request, idempotencyKey: idempotencyKey)
        guard completion.order.status == "pending_payment", completion.order.payment?.provider == PaymentProviderKind.stripe.rawValue,
              completion.order.payment?.url == nil else { return completion }
        return Completion(order: try await startStripeSession(store, completion.order, returnURL: request.returnUrl),
                          created: completion.created)
    }

    private func place(_ store: StoreSlug, cartID: String, _ request: CompleteCartRequest, idempotencyKey: String?) async throws -> Completion {
        try CartRepository.checkID(cartID)
        let requestEmail = try request.email.map { raw throws(LumoraError) in try EmailAddress(validating: raw).rawValue }
        let requestAddress = try request.shippingAddress.map { value throws(LumoraError) in try value.validated() }
        let requestRate = try request.shippingOptionId.map { raw throws(LumoraError) in try CartPricing.RateKey(parsing: raw) }
        if let idempotencyKey, idempotencyKey.isEmpty || idempotencyKey.count > 200 {
            throw LumoraError.badRequest("invalid_idempotency_key", "Idempotency-Key must be 1 to 200 characters")
        }
        return try await scope.withStore(store) { connection in
            var cart = try await carts.priced(store, id: cartID, lockingForUpdate: true, on: connection)
            let email = requestEmail ?? cart.wire.email
            let address = requestAddress ?? cart.wire.shippingAddress
            // From the fields, not the JSON text: the encoder does not promise a key order.
            let requestHash = Self.hash(([cartID, email ?? "", request.shippingOptionId ?? ""] + (address?.canonicalFields ?? [])).joined(separator: "\u{1F}"))
            if let idempotencyKey,
               let (orderID, hash) = try await connection.query(CellSQL.orderID(idempotencyKey: idempotencyKey), logger: logger)
                .collect((Int64, String?).self).first {
                guard hash == requestHash else {
                    throw LumoraError(.unprocessable, code: "idempotency_key_reused", message: "this Idempotency-Key was used for a different request")
                }
                return Completion(order: try await order(id: orderID, on: connection), created: false)
            }
            if cart.wire.completedAt != nil {
                guard let (orderID, _) = try await connection.query(CellSQL.orderID(cartID: cartID), logger: logger).collect((Int64, String?).self).first else {
                    throw LumoraError.internalError("a completed cart without an order")
                }
                return Completion(order: try await order(id: orderID, on: connection), created: false)
            }
            guard !cart.wire.items.isEmpty else {
                throw LumoraError(.unprocessable, code: "cart_empty", message: "the cart has no items")
            }
            guard let email else { throw LumoraError.badRequest("invalid_email", "email is required") }
            guard let address else { throw LumoraError.badRequest("invalid_address", "shipping_address is required") }
            if requestAddress != nil || requestEmail != nil || requestRate != nil {
                let addressJSON = String(decoding: try JSONWire.encoder.encode(address), as: UTF8.self)
                try await connection.run(CellSQL.setCartContact(id: cartID, email: email, address: addressJSON), logger: logger)
                if let requestRate { try await connection.run(CellSQL.setCartShippingRate(id: cartID, rate: requestRate), logger: logger) }
                cart = try await carts.priced(store, id: cartID, lockingForUpdate: false, on: connection)
                if let requestRate, cart.pricing.chosen?.key != requestRate {
                    throw LumoraError(.unprocessable, code: "shipping_option_unavailable", message: "that shipping option does not fit this cart's address")
                }
            }
            try cart.pricing.requireShippable(address)
            // The store's checkout.validate plugins see the cart as it will be ordered.
            let objections = try await carts.plugins.objections(store, cart: CartRepository.pluginInput(
                store, cartID: cartID, currency: cart.pricing.totals.currency, email: email, items: cart.wire.items))
            if !objections.isEmpty {
                throw LumoraError(.unprocessable, code: "checkout_refused", message: objections.joined(separator: " "))
            }
            let settings = try await checkout.settings(on: connection)
            if settings.provider == .stripe {
                guard stripe != nil else {
                    throw LumoraError(.unavailable, code: "payment_unavailable", message: "This store's card payments are not available right now. Please try again later.")
                }
                guard settings.stripeAccount != nil else {
                    throw LumoraError.conflict("stripe_account_required", "the store has no Stripe account linked")
                }
                _ = try StripeCheckout.returnURL(request.returnUrl)
            }

            // Lock inventory rows in one order (by variant) so concurrent checkouts cannot deadlock.
            let totals = cart.pricing.totals
            let lines = try cart.wire.items.indices.map { index throws(LumoraError) in
                (item: cart.wire.items[index], tax: totals.lineTaxes[index], discount: totals.lineDiscounts[index],
                 variantID: try ResourceID.variant.parse(cart.wire.items[index].variantId))
            }.sorted { $0.variantID < $1.variantID }
            for (item, _, _, variantID) in lines {
                guard try await connection.query(CellSQL.reserve(variantID: variantID, quantity: item.quantity), logger: logger).hasRows() else {
                    let stock = try await connection.query(CellSQL.inventory(variantID: variantID), logger: logger).collect((Int64, Int64).self).first
                    let available: Int64 = stock.map { max(0, $0.0 - $0.1) } ?? 0
                    throw LumoraError.conflict("out_of_stock", "only \(available) of '\(item.productTitle) / \(item.variantTitle)' (\(item.variantId)) left; the cart asks for \(item.quantity)")
                }
            }
            let window = settings.provider == .manual ? nil : Double(payments.paymentWindow(for: settings.provider).components.seconds)
            let orderID = try await connection.query(CellSQL.insertOrder(NewOrder(
                cartID: cartID, email: email, shippingAddress: String(decoding: try JSONWire.encoder.encode(address), as: UTF8.self),
                totals: totals, discountsJSON: try StoredDiscount.json(cart.wire.discounts),
                shippingMethod: cart.pricing.chosen?.name, provider: settings.provider,
                paymentWindowSeconds: window, idempotencyKey: idempotencyKey, requestHash: requestHash)), logger: logger).collect(Int64.self)[0]
            for (item, tax, discount, variantID) in lines.sorted(by: { $0.item.id < $1.item.id }) {
                try await connection.run(CellSQL.insertOrderLine(
                    orderID: orderID, variantID: variantID, productTitle: item.productTitle, variantTitle: item.variantTitle,
                    sku: item.sku, quantity: item.quantity, unitPrice: item.unitPrice.amount, total: item.total.amount,
                    discount: discount, tax: tax), logger: logger)
            }
            try await connection.run(CellSQL.completeCart(id: cartID, email: email), logger: logger)
            let order = try await order(id: orderID, on: connection)
            // order.created plugins run later, through a durable job queued with the order.
            if try await carts.plugins.has(store, at: .orderCreated) {
                try await enqueue(kind: PluginOrderInput.jobKind, payload: PluginOrderInput(store: store, order: order), dueInSeconds: nil, on: connection)
            }
            if let window {
                try await enqueue(kind: ExpireOrderJobWire.kind, payload: ExpireOrderJobWire(order: orderID), dueInSeconds: window, on: connection)
            } else {
                // A manual payment: the shopper learns how to pay, the merchant of the order, now.
                try await mail(.orderReceived, order, store: store, settings: settings, on: connection)
                try await mail(.newOrder, order, store: store, settings: settings, on: connection)
            }
            return Completion(order: order, created: true)
        }
    }

    func order(ofCart cartID: String, store: StoreSlug) async throws -> OrderWire {
        try CartRepository.checkID(cartID)
        return try await scope.withStore(store) { connection in
            try await order(id: try await orderID(ofCart: cartID, on: connection), on: connection)
        }
    }

    /// Newest first; `status` narrows them.
    func list(_ store: StoreSlug, status: String? = nil, page: Pagination) async throws -> Page<OrderWire> {
        try await scope.withStore(store) { connection in
            let rows = try await connection.query(CellSQL.orders(status: status, limit: page.limit, offset: page.offset), logger: logger)
                .collect((Int64, String, String, String, String, Int64, Int64, String, Date, Date,
                          Int64, Int64, Bool, String?, String, String?, Date?, Date?, Int64, String?, Int64, String, Int).self)
            // The page's total rides on every row (count(*) OVER ()); the rest is an order row.
            let orders = try await build(rows.map { OrderRow(($0.0, $0.1, $0.2, $0.3, $0.4, $0.5, $0.6, $0.7, $0.8, $0.9,
                                                              $0.10, $0.11, $0.12, $0.13, $0.14, $0.15, $0.16, $0.17, $0.18, $0.19,
                                                              $0.20, $0.21)) }, on: connection)
            return Page(key: "orders", items: orders, count: rows.first?.22 ?? 0, limit: page.limit, offset: page.offset)
        }
    }

    func get(_ store: StoreSlug, id: Int64) async throws -> OrderWire {
        try await scope.withStore(store) { connection in try await order(id: id, on: connection) }
    }

    // MARK: Merchant actions

    /// paid → fulfilled: the reserved units leave stock; the shopper hears it shipped.
    func fulfil(_ store: StoreSlug, id: Int64) async throws -> OrderWire {
        try await scope.withStore(store) { connection in
            let current = try await order(id: id, forUpdate: true, on: connection)
            guard current.status == "paid" else {
                throw current.status == "pending_payment"
                    ? LumoraError.conflict("order_not_paid", "the order is not paid yet; mark it paid first")
                    : LumoraError.conflict("order_\(current.status)", "the order is already \(current.status)")
            }
            try await connection.run(CellSQL.shipReservation(orderID: id), logger: logger)
            try await connection.run(CellSQL.setOrderStatus(id: id, status: "fulfilled"), logger: logger)
            let order = try await order(id: id, on: connection)
            try await mail(.shippingNotice, order, store: store, settings: try await checkout.settings(on: connection), on: connection)
            return order
        }
    }

    /// pending_payment → canceled: the reserved units become available again. A paid order is
    /// refunded instead (so the money goes back too).
    func cancel(_ store: StoreSlug, id: Int64) async throws -> OrderWire {
        try await scope.withStore(store) { connection in
            let current = try await order(id: id, forUpdate: true, on: connection)
            guard current.status == "pending_payment" else {
                throw current.status == "paid"
                    ? LumoraError.conflict("order_paid", "the order is paid: refund it instead")
                    : LumoraError.conflict("order_\(current.status)", "the order is already \(current.status)")
            }
            try await connection.run(CellSQL.releaseOrderStock(orderID: id), logger: logger)
            try await connection.run(CellSQL.setOrderStatus(id: id, status: "canceled"), logger: logger)
            return try await order(id: id, on: connection)
        }
    }

    /// The merchant received a manual payment (a bank transfer, cash on delivery).
    func markPaid(_ store: StoreSlug, id: Int64) async throws -> OrderWire {
        try await scope.withStore(store) { connection in
            let current = try await order(id: id, forUpdate: true, on: connection)
            guard current.status == "pending_payment" else {
                throw LumoraError.conflict("order_\(current.status)", "the order is \(current.status), not awaiting payment")
            }
            _ = try await connection.query(CellSQL.insertPayment(
                orderID: id, provider: "manual", reference: nil, amount: current.total.amount, currency: current.currency,
                status: "succeeded", message: "marked paid by the merchant"), logger: logger).collect(Int64.self)
            return try await paid(store, id: id, on: connection)
        }
    }

    /// Refunds `amount` (all that is left when nil). A refund of everything makes the order
    /// `refunded` and, if it had not shipped, releases its stock.
    func refund(_ store: StoreSlug, id: Int64, _ request: CreateRefundRequest) async throws -> OrderWire {
        let reason = try request.reason.map { raw throws(LumoraError) -> String in
            let text = raw.trimmingASCIIWhitespace()
            guard text.count <= 500 else { throw LumoraError.badRequest("invalid_reason", "reason is longer than 500 characters") }
            return text
        }
        let onStripe = try await scope.withStore(store) { connection -> (OrderWire, Int64)? in
            let current = try await order(id: id, forUpdate: true, on: connection)
            let amount = try Self.refundable(current, request)
            guard current.payment?.provider == PaymentProviderKind.stripe.rawValue else {
                _ = try await recordRefund(store, current, amount: amount, reference: nil, reason: reason, on: connection)
                return nil
            }
            return (current, amount)
        }
        guard let (current, amount) = onStripe else { return try await get(store, id: id) }
        return try await refundOnStripe(store, current, amount: amount, reason: reason)
    }

    /// How much `request` refunds of `current`: all that is left by default.
    private static func refundable(_ current: OrderWire, _ request: CreateRefundRequest) throws(LumoraError) -> Int64 {
        guard current.status == "paid" || current.status == "fulfilled" else {
            throw LumoraError.conflict("order_not_refundable", "only a paid or fulfilled order can be refunded; this one is \(current.status)")
        }
        let left = current.total.amount - current.refundedAmount.amount
        let amount = request.amount?.amount ?? left
        if let requested = request.amount, requested.currency.code != current.currency {
            throw LumoraError(.unprocessable, code: "currency_mismatch", message: "the order is in \(current.currency)")
        }
        guard amount > 0, amount <= left else {
            throw LumoraError(.unprocessable, code: "invalid_refund_amount",
                              message: "a refund is from 0.01 to what is left to refund (\(Money(amount: left, currency: current.total.currency).formatted))")
        }
        return amount
    }

    // MARK: Test payments

    /// A test card typed on the store's payment page. Succeeds, is declined, or asks for a
    /// second step (`confirmTestPayment`) — Stripe's well-known test numbers, no real money.
    func testPayment(_ store: StoreSlug, cartID: String, _ request: TestPaymentRequest) async throws -> PaymentAttemptWire {
        try CartRepository.checkID(cartID)
        let card = try TestCard(number: request.cardNumber)
        return try await scope.withStore(store) { connection in
            let id = try await orderID(ofCart: cartID, on: connection)
            let current = try await awaitingTestPayment(id, on: connection)
            let attempt = try await connection.query(CellSQL.insertPayment(
                orderID: id, provider: "test", reference: nil, amount: current.total.amount, currency: current.currency,
                status: card.outcome.rawValue, message: card.message), logger: logger).collect(Int64.self)[0]
            let order = card.outcome == .succeeded ? try await paid(store, id: id, on: connection) : current
            return PaymentAttemptWire(id: ResourceID.payment.format(attempt), status: card.outcome.rawValue, message: card.message, order: order)
        }
    }

    /// The shopper's answer to a test card's second step.
    func confirmTestPayment(_ store: StoreSlug, cartID: String, attemptID: String, _ request: ConfirmTestPaymentRequest) async throws -> PaymentAttemptWire {
        try CartRepository.checkID(cartID)
        let attempt = try ResourceID.payment.parse(attemptID)
        return try await scope.withStore(store) { connection in
            let id = try await orderID(ofCart: cartID, on: connection)
            let current = try await awaitingTestPayment(id, on: connection)
            guard let (status, _, _) = try await connection.query(CellSQL.payment(id: attempt, orderID: id), logger: logger)
                .collect((String, Int64, String).self).first else {
                throw ResourceID.payment.notFound(attemptID)
            }
            guard status == TestCard.Outcome.requiresAction.rawValue else {
                throw LumoraError.conflict("payment_not_pending", "this payment is \(status), not waiting for a second step")
            }
            let outcome: TestCard.Outcome = request.approve ? .succeeded : .failed
            let message = request.approve ? "authenticated" : "the shopper did not authenticate the payment"
            try await connection.run(CellSQL.setPaymentStatus(id: attempt, status: outcome.rawValue, message: message), logger: logger)
            let order = outcome == .succeeded ? try await paid(store, id: id, on: connection) : current
            return PaymentAttemptWire(id: attemptID, status: outcome.rawValue, message: message, order: order)
        }
    }

    private func awaitingTestPayment(_ id: Int64, on connection: PostgresConnection) async throws -> OrderWire {
        let current = try await order(id: id, forUpdate: true, on: connection)
        guard current.payment?.provider == PaymentProviderKind.test.rawValue else {
            throw LumoraError.conflict("not_a_test_payment", "this order is not paid with test cards")
        }
        guard current.status == "pending_payment" else {
            throw LumoraError.conflict("order_\(current.status)", current.status == "canceled"
                ? "the order expired before it was paid; its items are back in stock"
                : "the order is already \(current.status)")
        }
        return current
    }

    // MARK: Shared steps

    /// Records that the order is paid and queues its mails: the shopper's confirmation, and
    /// the merchant's notice unless a manual order already sent it when it was placed.
    func paid(_ store: StoreSlug, id: Int64, on connection: PostgresConnection) async throws -> OrderWire {
        guard try await connection.query(CellSQL.markOrderPaid(id: id), logger: logger).hasRows() else {
            throw LumoraError.conflict("order_not_payable", "the order is no longer awaiting payment")
        }
        let order = try await order(id: id, on: connection)
        let settings = try await checkout.settings(on: connection)
        try await mail(.orderConfirmation, order, store: store, settings: settings, on: connection)
        if order.payment?.provider != PaymentProviderKind.manual.rawValue {
            try await mail(.newOrder, order, store: store, settings: settings, on: connection)
        }
        return order
    }

    func recordRefund(_ store: StoreSlug, _ current: OrderWire, amount: Int64, reference: String?, reason: String?,
                              on connection: PostgresConnection) async throws -> OrderWire {
        let id = current.displayId
        let status = try await connection.query(CellSQL.addRefund(orderID: id, amount: amount, reference: reference, reason: reason), logger: logger)
            .collect(String.self).first
        if status == "refunded", current.status == "paid" {
            try await connection.run(CellSQL.releaseOrderStock(orderID: id), logger: logger)
        }
        let order = try await order(id: id, on: connection)
        if status != nil {
            try await mail(.refundNotice, order, store: store, settings: try await checkout.settings(on: connection), on: connection,
                           refund: Money(amount: amount, currency: order.total.currency))
        }
        return order
    }

    func orderID(ofCart cartID: String, on connection: PostgresConnection) async throws -> Int64 {
        guard let (orderID, _) = try await connection.query(CellSQL.orderID(cartID: cartID), logger: logger).collect((Int64, String?).self).first else {
            throw LumoraError.notFound("order_not_found", "this cart has not been checked out")
        }
        return orderID
    }

    func mail(_ template: OrderMailWire.Template, _ order: OrderWire, store: StoreSlug, settings: CheckoutSettings,
                      on connection: PostgresConnection, refund: Money? = nil) async throws {
        let to: String? = template == .newOrder ? settings.orderNoticeEmail : order.email
        let mail = OrderMailWire(template: template, to: to, replyTo: template == .newOrder ? nil : settings.orderNoticeEmail, store: store.rawValue, branding: settings.branding, order: order,
                                 instructions: template == .orderReceived ? settings.paymentInstructions : nil, refund: refund)
        try await enqueue(kind: OrderMailWire.kind, payload: mail, dueInSeconds: nil, on: connection)
    }

    func enqueue(kind: String, payload: some Encodable, dueInSeconds: Double?, on connection: PostgresConnection) async throws {
        let json = String(decoding: try JSONWire.encoder.encode(payload), as: UTF8.self)
        try await connection.run(CellSQL.enqueueJob(kind: kind, payload: json, dueInSeconds: dueInSeconds), logger: logger)
    }

    // MARK: Reading orders

    private struct OrderRow {
        let id: Int64, cartID: String, email: String, addressJSON: String, currency: String, subtotal: Int64, total: Int64, status: String
        let created: Date, updated: Date, shipping: Int64, tax: Int64, taxIncluded: Bool, shippingMethod: String?, provider: String
        let paymentURL: String?, dueAt: Date?, paidAt: Date?, refunded: Int64, flag: String?, discount: Int64, discountsJSON: String

        /// `CellSQL.orderColumns`, in order.
        typealias Columns = (Int64, String, String, String, String, Int64, Int64, String, Date, Date,
                             Int64, Int64, Bool, String?, String, String?, Date?, Date?, Int64, String?, Int64, String)

        init(_ c: Columns) {
            (id, cartID, email, addressJSON, currency, subtotal, total, status) = (c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7)
            (created, updated, shipping, tax, taxIncluded, shippingMethod, provider) = (c.8, c.9, c.10, c.11, c.12, c.13, c.14)
            (paymentURL, dueAt, paidAt, refunded, flag, discount, discountsJSON) = (c.15, c.16, c.17, c.18, c.19, c.20, c.21)
        }
    }

    func order(id: Int64, forUpdate: Bool = false, on connection: PostgresConnection) async throws -> OrderWire {
        let rows = try await connection.query(CellSQL.order(id: id, forUpdate: forUpdate), logger: logger)
            .collect(OrderRow.Columns.self).map(OrderRow.init)
        guard let order = try await build(rows, on: connection).first else {
            throw ResourceID.order.notFound(ResourceID.order.format(id))
        }
        return order
    }

    private func build(_ rows: [OrderRow], on connection: PostgresConnection) async throws -> [OrderWire] {
        guard !rows.isEmpty else { return [] }
        var lines: [Int64: [OrderLineWire]] = [:]
        var refunds: [Int64: [RefundWire]] = [:]
        var currencies: [Int64: CurrencyCode] = [:]
        for row in rows { currencies[row.id] = try CurrencyCode(validating: row.currency) }
        for (lineID, orderID, variantID, productTitle, variantTitle, sku, quantity, unit, total, tax, discount)
            in try await connection.query(CellSQL.orderLines(orderIDs: rows.map(\.id)), logger: logger)
            .collect((Int64, Int64, Int64?, String, String, String?, Int, Int64, Int64, Int64, Int64).self) {
            let currency = currencies[orderID] ?? .usd
            var line = OrderLineWire(
                id: "oitem_\(lineID)", variantId: variantID.map(ResourceID.variant.format), productTitle: productTitle,
                variantTitle: variantTitle, sku: sku, quantity: quantity,
                unitPrice: Money(amount: unit, currency: currency), total: Money(amount: total, currency: currency),
                tax: Money(amount: tax, currency: currency))
            if discount > 0 { line.discount = Money(amount: discount, currency: currency) }
            lines[orderID, default: []].append(line)
        }
        for (refundID, orderID, amount, reason, created) in try await connection.query(CellSQL.refunds(orderIDs: rows.map(\.id)), logger: logger)
            .collect((Int64, Int64, Int64, String?, Date).self) {
            refunds[orderID, default: []].append(RefundWire(
                id: ResourceID.refund.format(refundID), amount: Money(amount: amount, currency: currencies[orderID] ?? .usd), reason: reason, createdAt: created))
        }
        // A shopper waiting to pay by hand is shown how (read once, and only then).
        let instructions = rows.contains { $0.provider == PaymentProviderKind.manual.rawValue && ($0.status == "pending_payment" || $0.status == "pending") }
            ? try await connection.query(CellSQL.paymentInstructions, logger: logger).collect(String.self).first : nil
        return try rows.map { row in
            let currency = try CurrencyCode(validating: row.currency)
            let status = row.status == "pending" ? "pending_payment" : row.status
            let paymentStatus = Self.paymentStatus(row, status: status)
            var order = OrderWire(
                id: ResourceID.order.format(row.id), displayId: row.id, cartId: row.cartID, email: row.email,
                shippingAddress: try JSONWire.decoder.decode(ShippingAddress.self, from: Data(row.addressJSON.utf8)),
                status: status, currency: currency.code, items: lines[row.id] ?? [],
                subtotal: Money(amount: row.subtotal, currency: currency), shippingTotal: Money(amount: row.shipping, currency: currency),
                taxTotal: Money(amount: row.tax, currency: currency), total: Money(amount: row.total, currency: currency),
                taxIncluded: row.taxIncluded, shippingMethod: row.shippingMethod,
                payment: OrderPaymentWire(provider: row.provider, status: paymentStatus, url: row.paymentURL,
                                          instructions: paymentStatus == "awaiting_payment" ? instructions : nil, dueAt: row.dueAt, paidAt: row.paidAt),
                refundedAmount: Money(amount: row.refunded, currency: currency), refunds: refunds[row.id] ?? [], flag: row.flag,
                createdAt: row.created, updatedAt: row.updated)
            order.discountTotal = Money(amount: row.discount, currency: currency)
            order.discounts = try JSONWire.decoder.decode([StoredDiscount].self, from: Data(row.discountsJSON.utf8))
                .map { DiscountWire(title: $0.title, amount: Money(amount: $0.amount, currency: currency)) }
            return order
        }
    }

    private static func paymentStatus(_ row: OrderRow, status: String) -> String {
        switch status {
        case "pending_payment": return row.provider == PaymentProviderKind.manual.rawValue ? "awaiting_payment" : "requires_payment"
        case "paid", "fulfilled": return row.refunded > 0 ? "partially_refunded" : "paid"
        case "refunded": return "refunded"
        default: return row.paidAt == nil && row.provider != PaymentProviderKind.manual.rawValue && row.dueAt.map({ $0 <= max(row.updated, Date()) }) == true
            ? "expired" : "canceled"
        }
    }

    static func hash(_ text: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(text.utf8)))
    }
}

/// A discount as an order keeps it (`orders.discounts`): what the shopper saw, fixed at checkout.
struct StoredDiscount: Codable {
    let title: String
    let amount: Int64

    static func json(_ discounts: [DiscountWire]) throws -> String {
        String(decoding: try JSONWire.encoder.encode(discounts.map { StoredDiscount(title: $0.title, amount: $0.amount.amount) }), as: UTF8.self)
    }
}
