import Foundation
import LumoraCore
import LumoraPayments
import LumoraWire
import PostgresNIO

/// Orders paid on Stripe's hosted page: the session made for a placed order, the shopper's
/// return, webhooks (applied once each, in any order) and refunds through Stripe.
///
/// Stripe is never called inside a store transaction: rows stay locked for milliseconds, not
/// for as long as Stripe takes to answer.
extension OrderRepository {
    /// Makes (or, after a lost answer, gets back) the session for a placed order and records it.
    /// When Stripe cannot make it, the order is taken back — stock released, cart open again —
    /// and the shopper is told to try again.
    func startStripeSession(_ store: StoreSlug, _ placed: OrderWire, returnURL: String?) async throws -> OrderWire {
        let returnURL = try StripeCheckout.returnURL(returnURL)
        let (stripe, account) = try await stripeAccess(store)
        let now = Date()
        // Stripe refuses an expiry sooner than 30 minutes from now (an order whose session is
        // made late, after a lost answer, gets those 30 minutes; its payment may then come
        // after the order expired, which flags it).
        let expiresAt = max(placed.payment?.dueAt ?? now.addingTimeInterval(35 * 60), now.addingTimeInterval(31 * 60))
        let session: StripeCheckoutSession
        do {
            session = try await stripe.startSession(for: placed, store: store, account: account, returnURL: returnURL, expiresAt: expiresAt)
        } catch {
            // Whatever stopped the session (Stripe's answer, or a check of ours before the call),
            // the shopper has no page to pay on: the order must not hold stock or the cart.
            logger.warning("stripe session failed; order withdrawn", metadata: ["order": "\(placed.id)", "error": "\(error)"])
            try await withdraw(store, orderID: placed.displayId)
            throw (error as? StripeError)?.lumoraError ?? error
        }
        return try await scope.withStore(store) { connection in
            if try await !connection.query(CellSQL.attachPaymentSession(orderID: placed.displayId, session: session.id, url: session.url), logger: logger).hasRows() {
                // Another request for the same order attached it first (the same key made the
                // same session), or the order is gone: then no one may pay this session.
                let attached = try await connection.query(CellSQL.stripeState(orderID: placed.displayId), logger: logger).collect((String?, String?).self).first
                guard attached?.0 == session.id else {
                    await stripe.expire(session: session.id, account: account)
                    throw LumoraError.conflict("checkout_interrupted", "the order changed while its payment page was made; please check out again")
                }
            }
            return try await order(id: placed.displayId, on: connection)
        }
    }

    /// The shopper came back from Stripe's page: the session is read at once, so the
    /// confirmation says "paid" without waiting for the webhook (whichever comes first wins).
    func refreshStripePayment(_ store: StoreSlug, cartID: String) async throws -> OrderWire {
        try CartRepository.checkID(cartID)
        let (current, sessionID) = try await scope.withStore(store) { connection in
            let id = try await orderID(ofCart: cartID, on: connection)
            return (try await order(id: id, on: connection),
                    try await connection.query(CellSQL.stripeState(orderID: id), logger: logger).collect((String?, String?).self).first?.0)
        }
        guard current.status == "pending_payment", current.payment?.provider == PaymentProviderKind.stripe.rawValue, let sessionID else { return current }
        let (stripe, account) = try await stripeAccess(store)
        guard let session = try? await stripe.session(id: sessionID, account: account), session.isPaid else { return current }
        return try await scope.withStore(store) { connection in
            let locked = try await order(id: current.displayId, forUpdate: true, on: connection)
            return try await recordStripePayment(store, locked, paymentIntent: session.paymentIntent, amount: session.amountTotal,
                                                 currency: session.currency, on: connection)
        }
    }

    // MARK: Webhooks

    /// A Stripe event the edge passed on for this store. Refused (400) unless Stripe signed it,
    /// it names this store and it happened on this store's connected account; applied at most
    /// once (its id is recorded with its effect). Returns false for a replay.
    func applyStripeEvent(_ store: StoreSlug, payload: [UInt8], signature: String?, now: Date) async throws -> Bool {
        guard let stripe else {
            throw LumoraError(.unavailable, code: "payment_unavailable", message: "this cell does not take Stripe payments")
        }
        do {
            try StripeWebhook.verify(payload: payload, signatureHeader: signature, secret: stripe.webhookSecret, now: now)
        } catch {
            throw LumoraError.badRequest("invalid_signature", "the Stripe-Signature does not verify: \(error.description)")
        }
        let event: StripeEvent
        let routing: StripeEventRouting
        do {
            event = try StripeEvent.decode(payload)
            routing = try StripeEventRouting.decode(payload)
        } catch {
            throw LumoraError.badRequest("invalid_event", "the body is not a Stripe event")
        }
        // The store is read as the edge read it to route here — the metadata of whatever object
        // the event carries. `event.metadata` knows only the objects Lumora decodes, so a
        // `payment_intent.succeeded` the edge rightly sent would be refused, and retried for days.
        guard routing.metadata[StripeCheckout.storeKey] == store.rawValue else {
            throw LumoraError.badRequest("event_for_another_store", "the event's metadata does not name this store")
        }
        let (_, account) = try await stripeAccess(store)
        // Only the store's own account speaks for it: another merchant's account could carry
        // this store's name in its metadata.
        guard event.account == account else {
            throw LumoraError.badRequest("event_from_another_account", "the event did not happen on this store's Stripe account")
        }
        // A charge's refunds, wherever they were made, are read from Stripe (events never carry
        // them); each is recorded by its id, so the refund Lumora made itself counts once.
        var charge: StripeCharge?
        if case .charge(let snapshot) = event.object, event.type == "charge.refunded" {
            do {
                charge = try await stripe.charge(id: snapshot.id, account: account)
            } catch let error as StripeError {
                throw error.lumoraError  // a 503: Stripe delivers the event again later
            }
        }
        return try await scope.withStore(store) { connection in
            guard try await connection.query(CellSQL.recordPaymentEvent(id: event.id, type: event.type), logger: logger).hasRows() else {
                return false
            }
            switch event.object {
            case .checkoutSession(let session) where event.type == "checkout.session.completed" || event.type == "checkout.session.async_payment_succeeded":
                try await applyPaidSession(store, session, on: connection)
            case .refund(let refund) where event.type == "refund.created" || event.type == "refund.updated":
                try await applyRefunds(store, paymentIntent: refund.paymentIntent, [refund], charge: nil, on: connection)
            case .charge(let snapshot) where charge != nil:
                try await applyRefunds(store, paymentIntent: snapshot.paymentIntent, charge?.refunds ?? [], charge: charge, on: connection)
            default:
                break  // recorded, so a replay is recognised, but nothing to do
            }
            return true
        }
    }

    private func applyPaidSession(_ store: StoreSlug, _ session: StripeCheckoutSession, on connection: PostgresConnection) async throws {
        guard session.isPaid, let reference = session.metadata[StripeCheckout.orderKey], let id = try? ResourceID.order.parse(reference) else { return }
        // Only a missing order is passed over (logged); any other failure rolls the event back,
        // so Stripe delivers it again instead of it being recorded without its payment.
        guard let (attached, _) = try await connection.query(CellSQL.stripeState(orderID: id), logger: logger).collect((String?, String?).self).first else {
            logger.error("a paid Stripe session for an order that is gone", metadata: ["session": "\(session.id)", "order": "\(reference)"])
            return
        }
        let current = try await order(id: id, forUpdate: true, on: connection)
        guard attached == session.id else {
            try await connection.run(CellSQL.flagOrder(id: id, reason: "a Stripe session that is not this order's (\(session.id)) was paid for it"), logger: logger)
            return
        }
        _ = try await recordStripePayment(store, current, paymentIntent: session.paymentIntent, amount: session.amountTotal,
                                          currency: session.currency, on: connection)
    }

    /// Refunds Stripe reports, recorded by their ids. A refund of an order not yet seen paid
    /// (its events crossed) proves the payment: the charge is recorded first.
    private func applyRefunds(_ store: StoreSlug, paymentIntent: String?, _ refunds: [StripeRefund], charge: StripeCharge?,
                              on connection: PostgresConnection) async throws {
        guard let paymentIntent,
              let id = try await connection.query(CellSQL.orderID(paymentIntent: paymentIntent), logger: logger).collect(Int64.self).first
                ?? refunds.lazy.compactMap({ $0.metadata[StripeCheckout.orderKey] }).compactMap({ try? ResourceID.order.parse($0) }).first
        else { return }
        var current = try await order(id: id, forUpdate: true, on: connection)
        if current.status == "pending_payment", let charge {
            current = try await recordStripePayment(store, current, paymentIntent: paymentIntent, amount: charge.amount, currency: charge.currency, on: connection)
        }
        guard current.status == "paid" || current.status == "fulfilled" || current.status == "refunded" else { return }
        for refund in refunds where refund.status == "succeeded" || refund.status == "pending" {
            current = try await recordRefund(store, current, amount: refund.amount, reference: refund.id,
                                             reason: refund.metadata["reason"], on: connection)
        }
    }

    /// Money arrived on Stripe for `current`. The amount and currency must be the order's, or
    /// the order is flagged for the merchant instead of paid; an order that expired before the
    /// money came is flagged too (its stock may be gone).
    func recordStripePayment(_ store: StoreSlug, _ current: OrderWire, paymentIntent: String?, amount: Int64?, currency: String?,
                             on connection: PostgresConnection) async throws -> OrderWire {
        guard current.status == "pending_payment" || current.status == "canceled" else { return current }
        let id = current.displayId
        if let paymentIntent {
            try await connection.run(CellSQL.setPaymentIntent(orderID: id, paymentIntent: paymentIntent), logger: logger)
        }
        let paidAmount = amount ?? 0
        let paidCurrency = currency?.uppercased() ?? ""
        let matches = paidAmount == current.total.amount && paidCurrency == current.currency
        let message = matches ? "paid on Stripe" : "paid \(paidAmount) \(paidCurrency) on Stripe for an order of \(current.total.amount) \(current.currency)"
        // A payment already recorded left the order pending only because it was flagged; the
        // same payment reported again (the webhook after the shopper's return, a second
        // event type) must not fail on the unique reference, or Stripe retries it for days.
        guard try await connection.query(CellSQL.insertStripePayment(
            orderID: id, paymentIntent: paymentIntent, amount: max(paidAmount, 0),
            currency: paidCurrency.count == 3 ? paidCurrency : current.currency, message: message), logger: logger).hasRows() else {
            return current
        }
        guard matches else {
            try await connection.run(CellSQL.flagOrder(id: id, reason: "amount_mismatch: \(message)"), logger: logger)
            return try await order(id: id, on: connection)
        }
        guard current.status == "pending_payment" else {
            try await connection.run(CellSQL.flagOrder(id: id, reason: "paid_after_expiry: the payment came after the order expired; refund it or restock and fulfil"), logger: logger)
            return try await order(id: id, on: connection)
        }
        return try await paid(store, id: id, on: connection)
    }

    // MARK: Refunds

    /// Refunds through Stripe first (keyed by what was refunded before, so asking twice while
    /// the first answer was lost refunds once), then records Stripe's refund by its id — the
    /// webhook that reports the same refund then changes nothing.
    func refundOnStripe(_ store: StoreSlug, _ current: OrderWire, amount: Int64, reason: String?) async throws -> OrderWire {
        let (stripe, account) = try await stripeAccess(store)
        let intent = try await scope.withStore(store) { connection in
            try await connection.query(CellSQL.stripeState(orderID: current.displayId), logger: logger).collect((String?, String?).self).first?.1
        }
        guard let intent else {
            throw LumoraError.conflict("payment_not_found", "Stripe has not reported this order's payment yet; try again in a moment")
        }
        let refund: StripeRefund
        do {
            refund = try await stripe.refund(paymentIntent: intent, amount: amount, reason: reason, store: store, order: current, account: account,
                                             key: "lumora-\(store.rawValue)-\(current.id)-refund-\(current.refundedAmount.amount)-\(amount)")
        } catch let error as StripeError {
            throw error.lumoraError
        }
        return try await scope.withStore(store) { connection in
            let locked = try await order(id: current.displayId, forUpdate: true, on: connection)
            return try await recordRefund(store, locked, amount: refund.amount, reference: refund.id, reason: reason, on: connection)
        }
    }

    // MARK: Helpers

    private func stripeAccess(_ store: StoreSlug) async throws -> (StripeCheckout, String) {
        guard let stripe else {
            throw LumoraError(.unavailable, code: "payment_unavailable", message: "This store's card payments are not available right now. Please try again later.")
        }
        guard let account = try await scope.withStore(store, { connection in try await checkout.settings(on: connection).stripeAccount }) else {
            throw LumoraError.conflict("stripe_account_required", "the store has no Stripe account linked")
        }
        return (stripe, account)
    }

    /// Takes back an online order that never got its payment page.
    private func withdraw(_ store: StoreSlug, orderID: Int64) async throws {
        try await scope.withStore(store) { connection in
            let current = try await order(id: orderID, forUpdate: true, on: connection)
            let attached = try await connection.query(CellSQL.stripeState(orderID: orderID), logger: logger).collect((String?, String?).self).first?.0
            guard current.status == "pending_payment", attached == nil else { return }
            try await connection.run(CellSQL.releaseOrderStock(orderID: orderID), logger: logger)
            _ = try await connection.query(CellSQL.withdrawOrder(id: orderID), logger: logger).collect(String.self)
        }
    }
}
